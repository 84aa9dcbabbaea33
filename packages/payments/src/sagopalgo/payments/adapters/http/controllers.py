"""Payments over HTTP: checkout and confirm for winners, Toss's webhook, refunds for administrators."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from sagopalgo.kernel.clock import SEOUL
from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.money import INT64_MAX
from sagopalgo.payments.adapters.toss.wire import parse_webhook
from sagopalgo.payments.application.service import PaymentsService
from sagopalgo.payments.domain.order import ORDER_ID_PATTERN, Order
from sagopalgo.payments.domain.payment import PaymentWebhook
from sagopalgo.platform.http.idempotency import idempotent
from sagopalgo.platform.http.params import Id, IdempotencyKey
from sagopalgo.platform.http.problems import problem_responses

__all__ = ["PaymentsController", "TossWebhookController", "provide_payments"]

_AUTH: list[dict[str, list[str]]] = [{"BearerToken": []}]
_log = logging.getLogger("sagopalgo.payments.webhooks")

OrderId = Annotated[str, msgspec.Meta(pattern=ORDER_ID_PATTERN, description="our order id")]
TestCode = Annotated[
    str | None,
    HeaderParameter(
        name="TossPayments-Test-Code",
        pattern=r"^[A-Z0-9_]{1,64}$",
        description="Sandbox only: passed to Toss, which then answers with that error code (e.g. "
        "`REJECT_CARD_COMPANY`) so a client can rehearse a refusal. Ignored with live keys.",
    ),
]


class CheckoutOut(msgspec.Struct, rename="camel"):
    order_id: str
    order_name: str
    amount: int
    """KRW: what Toss's checkout is to charge (``widgets.setAmount``)."""
    client_key: str
    customer_key: str


class ConfirmIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """What Toss's success redirect carried (``paymentKey``, ``orderId``, ``amount``)."""

    payment_key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    order_id: OrderId
    amount: Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX)]


class PaymentOut(msgspec.Struct, rename="camel"):
    order_id: str
    status: str
    method: str | None
    approved_at: datetime | None
    receipt_url: str | None


class RefundIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    """Sent to Toss as the cancel reason, and kept with the order."""


class RefundOut(msgspec.Struct, rename="camel"):
    order_id: str
    status: str
    refunded_amount: int
    refunded_at: datetime | None
    reason: str | None


class WebhookOut(msgspec.Struct):
    received: bool


async def provide_payments(request: Request[Any, Any, Any]) -> PaymentsService:
    service: PaymentsService = request.app.state.payments
    return service


def _seoul(at: datetime | None) -> datetime | None:
    return at.astimezone(SEOUL) if at else None


def _paid(order: Order) -> PaymentOut:
    return PaymentOut(
        order.order_id, order.status.value, order.method, _seoul(order.approved_at), order.receipt_url
    )


class PaymentsController(Controller):
    path = "/api/v1"
    tags = ["payments"]
    dependencies = {"payments": Provide(provide_payments)}

    @post(
        "/awards/{award_id:int}/checkout",
        status_code=HTTP_201_CREATED,
        summary="Issue (or reuse) the order the winner pays through Toss's checkout",
        description="The award's one open order is returned again on a repeat, so two tabs never "
        "start two payments for one award. 409 `ALREADY_PAID`, `AWARD_EXPIRED`, `PAYMENT_IN_PROGRESS`.",
        opt=idempotent,
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
        security=_AUTH,
    )
    async def checkout(
        self,
        award_id: Id,
        request: Request[Principal, Any, Any],
        payments: NamedDependency[PaymentsService],
        idempotency_key: IdempotencyKey = None,
    ) -> CheckoutOut:
        del idempotency_key  # acted on by IdempotencyMiddleware before the handler runs
        issued = await payments.checkout(request.user, award_id)
        order = issued.order
        return CheckoutOut(
            order.order_id, order.order_name, order.amount, issued.client_key, issued.customer_key
        )

    @post(
        "/payments/confirm",
        status_code=HTTP_200_OK,
        summary="Confirm the winner's authenticated Toss payment for their order",
        description="Checked before Toss is asked: the caller's order, unpaid, the award's exact "
        "amount (else 422 `AMOUNT_MISMATCH`). A paid order → 409 `ALREADY_PAID`; Toss's refusal → "
        "402 `PAYMENT_REJECTED` with `tossCode`; Toss unreachable → 503 (retry: the same payment is "
        "never charged twice).",
        opt=idempotent,
        responses=problem_responses(400, 401, 402, 403, 404, 409, 422, 503),
        security=_AUTH,
    )
    async def confirm(
        self,
        data: JSONBody[ConfirmIn],
        request: Request[Principal, Any, Any],
        payments: NamedDependency[PaymentsService],
        idempotency_key: IdempotencyKey = None,
        toss_test_code: TestCode = None,
    ) -> PaymentOut:
        del idempotency_key
        order = await payments.confirm(
            request.user,
            payment_key=data.payment_key,
            order_id=data.order_id,
            amount=data.amount,
            test_code=toss_test_code,
        )
        return _paid(order)

    @post(
        "/admin/payments/{order_id:str}/refund",
        status_code=HTTP_200_OK,
        summary="Refund a paid order in full through Toss (admin)",
        opt=idempotent,
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
        security=_AUTH,
    )
    async def refund(
        self,
        order_id: Annotated[str, PathParameter(pattern=ORDER_ID_PATTERN, description="the order id")],
        data: JSONBody[RefundIn],
        request: Request[Principal, Any, Any],
        payments: NamedDependency[PaymentsService],
        idempotency_key: IdempotencyKey = None,
    ) -> RefundOut:
        del idempotency_key
        order = await payments.refund(request.user, order_id, data.reason)
        return RefundOut(
            order.order_id,
            order.status.value,
            order.refunded_amount,
            _seoul(order.refunded_at),
            order.refund_reason,
        )


async def _apply(payments: PaymentsService, notice: PaymentWebhook) -> None:
    try:
        await payments.apply(notice)
    except Exception:  # left unprocessed: the reconciler applies it on a later pass
        _log.warning("toss webhook %s not applied yet", notice.transmission_id, exc_info=True)


class TossWebhookController(Controller):
    """Toss's status-change notices: no auth (Toss signs no payment webhook), never trusted."""

    path = "/api/v1/payments/webhooks/toss"
    tags = ["payments"]
    dependencies = {"payments": Provide(provide_payments)}

    @post(
        "/",
        exclude_from_auth=True,
        status_code=HTTP_200_OK,
        summary="Toss's webhook: recorded, answered 200 at once, acted on by reading the payment back",
        description="Repeats (by `tosspayments-webhook-transmission-id`) are answered 200 and ignored. "
        "The body is only a hint: the payment it names is read from Toss and that answer alone is "
        "acted on, so reordered or forged notices change nothing they should not.",
        responses=problem_responses(400, 503),
    )
    async def receive(
        self, request: Request[Any, Any, Any], payments: NamedDependency[PaymentsService]
    ) -> Response[WebhookOut]:
        try:
            notice = parse_webhook(await request.body(), dict(request.headers))
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise Invalid("Not a Toss webhook.", field="body") from None
        fresh = await payments.receive(notice)
        background = BackgroundTask(_apply, payments, notice) if fresh and payments.enabled else None
        return Response(WebhookOut(received=True), status_code=HTTP_200_OK, background=background)
