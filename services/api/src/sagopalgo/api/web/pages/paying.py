"""The winner pays: our order, Toss's checkout window, and the confirm when Toss sends them back.

In production the page runs Toss's JS SDK with the client key; when the API talks to another
"Toss" than Toss's own (the demo's local fake), that server is a sandbox and its own window page
stands in for Toss's. Either way Toss redirects to ``/pay/success`` (or ``/pay/fail``) and the
confirm is the payments use case the API's ``POST /api/v1/payments/confirm`` runs.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from sagopalgo.api.web import views
from sagopalgo.api.web.messages import for_code, for_error
from sagopalgo.api.web.present import won
from sagopalgo.api.web.security import content_security_policy
from sagopalgo.bidding.application.awards import AwardsService
from sagopalgo.kernel.errors import DomainError
from sagopalgo.kernel.identity import Principal
from sagopalgo.payments.application.service import PaymentsService
from sagopalgo.platform.http.params import Id
from sagopalgo.platform.http.problems import status_for
from sagopalgo.platform.settings import Settings

__all__ = ["TOSS_API", "PayPages", "sandbox_window"]

TOSS_API = "https://api.tosspayments.com"
_Query = Annotated[str, QueryParameter(max_length=500)]


def sandbox_window(settings: Settings) -> str | None:
    """The sandbox's checkout window page, or ``None`` when the API talks to Toss itself."""
    base = settings.toss_base_url.rstrip("/")
    return None if base == TOSS_API else f"{base}/_test/window"


class PayPages(Controller):
    path = "/"

    @post("/me/awards/{award_id:int}/pay", name="web:checkout", status_code=200)
    async def checkout(
        self,
        award_id: Id,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        payments: NamedDependency[PaymentsService],
    ) -> Template:
        """The award's order (its open one again, if any) and the way to Toss's window."""
        issued = await payments.checkout(user, award_id)
        settings: Settings = request.app.state.settings
        success_url, fail_url = f"{settings.api_base_url}/pay/success", f"{settings.api_base_url}/pay/fail"
        window = sandbox_window(settings)
        sandbox_url = None
        if window is not None:
            order = issued.order
            query = {
                "orderId": order.order_id,
                "orderName": order.order_name,
                "amount": order.amount,
                "customerKey": issued.customer_key,
                "successUrl": success_url,
                "failUrl": fail_url,
            }
            sandbox_url = f"{window}?{urlencode(query)}"
        return views.page(
            request,
            "checkout.html",
            viewer=user,
            checkout=issued,
            success_url=success_url,
            fail_url=fail_url,
            sandbox_url=sandbox_url,
            headers=None
            if sandbox_url
            else {"Content-Security-Policy": content_security_policy(settings, toss_sdk=True)},
        )

    @get("/pay/success", name="web:pay-success")
    async def success(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        payment_key: Annotated[str, QueryParameter(name="paymentKey", max_length=200)],
        order_id: Annotated[str, QueryParameter(name="orderId", max_length=64)],
        amount: Annotated[int, QueryParameter(ge=1, le=2**63 - 1)],
    ) -> Template:
        """Toss sent the buyer back: the page confirms at once (a POST with its CSRF token)."""
        return views.page(
            request,
            "pay_success.html",
            viewer=user,
            payment_key=payment_key,
            order_id=order_id,
            amount=amount,
            amount_text=won(amount),
        )

    @post("/pay/confirm", name="web:pay-confirm", status_code=200)
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        payments: NamedDependency[PaymentsService],
        awards: NamedDependency[AwardsService],
    ) -> Template:
        form = await request.form()
        result: dict[str, Any]
        status = 200
        try:
            amount = views.parse_won(views.text(form, "amount"), field="amount")
            order = await payments.confirm(
                user,
                payment_key=views.text(form, "paymentKey"),
                order_id=views.text(form, "orderId"),
                amount=amount,
            )
            award = await awards.award_for_winner(user, order.award_id)
            result = {"paid": True, "order": order, "lot_id": award.lot_id}
        except DomainError as refused:
            status = status_for(refused)
            result = {"paid": False, "code": refused.code, "message": for_error(refused)}
        if views.is_htmx(request):
            return views.fragment("_pay_result.html", status=status, **result)
        return views.page(request, "pay_confirmed.html", viewer=user, status=status, **result)

    @get("/pay/fail", name="web:pay-fail")
    async def fail(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Principal | None],
        code: _Query = "",
        message: _Query = "",
    ) -> Template:
        """Toss's window failed or the buyer cancelled; nothing was charged."""
        said = "결제를 취소했습니다." if code == "PAY_PROCESS_CANCELED" else (message or for_code(code))
        return views.page(request, "pay_fail.html", viewer=viewer, code=code, message=said)
