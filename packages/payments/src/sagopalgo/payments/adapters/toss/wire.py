"""Toss's JSON (API version 2022-11-16) as msgspec Structs, and their translation to domain values.

Decoding is lenient where Toss says it may grow (unknown fields are ignored, optional fields may be
absent or ``null``) and strict where our code depends on a value (amounts are integers, times carry
an offset, the status is one we know).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

import msgspec

from sagopalgo.kernel.clock import SEOUL
from sagopalgo.payments.domain.payment import (
    PaymentCancel,
    PaymentFailure,
    PaymentStatus,
    PaymentWebhook,
    TossPayment,
)

__all__ = [
    "CancelRequest",
    "ConfirmRequest",
    "ErrorBody",
    "PaymentBody",
    "decode_error",
    "decode_payment",
    "encode",
    "parse_webhook",
]

AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class ConfirmRequest(msgspec.Struct, rename="camel", frozen=True):
    payment_key: str
    order_id: str
    amount: int


class CancelRequest(msgspec.Struct, rename="camel", frozen=True, omit_defaults=True):
    cancel_reason: str
    cancel_amount: int | None = None


class ErrorBody(msgspec.Struct, frozen=True):
    code: str
    message: str = ""


class _Failure(msgspec.Struct, frozen=True):
    code: str
    message: str = ""


class _Receipt(msgspec.Struct, frozen=True):
    url: str | None = None


class _Cancel(msgspec.Struct, rename="camel", frozen=True):
    cancel_amount: int
    canceled_at: AwareTime
    transaction_key: str
    cancel_reason: str = ""
    cancel_status: str = "DONE"


class PaymentBody(msgspec.Struct, rename="camel", frozen=True):
    payment_key: str
    order_id: str
    status: str
    total_amount: int
    balance_amount: int
    order_name: str | None = None
    currency: str | None = None
    method: str | None = None
    requested_at: AwareTime | None = None
    approved_at: AwareTime | None = None
    last_transaction_key: str | None = None
    receipt: _Receipt | None = None
    cancels: list[_Cancel] | None = None
    failure: _Failure | None = None

    def to_domain(self) -> TossPayment:
        return TossPayment(
            payment_key=self.payment_key,
            order_id=self.order_id,
            status=PaymentStatus(self.status),
            total_amount=self.total_amount,
            balance_amount=self.balance_amount,
            order_name=self.order_name or "",
            currency=self.currency or "KRW",
            method=self.method,
            requested_at=self.requested_at,
            approved_at=self.approved_at,
            last_transaction_key=self.last_transaction_key,
            receipt_url=self.receipt.url if self.receipt else None,
            cancels=tuple(
                PaymentCancel(
                    amount=c.cancel_amount,
                    reason=c.cancel_reason,
                    canceled_at=c.canceled_at,
                    transaction_key=c.transaction_key,
                    status=c.cancel_status,
                )
                for c in self.cancels or ()
            ),
            failure=PaymentFailure(self.failure.code, self.failure.message) if self.failure else None,
        )


class _WebhookData(msgspec.Struct, rename="camel", frozen=True):
    payment_key: str | None = None
    order_id: str | None = None
    status: str | None = None


class _Webhook(msgspec.Struct, rename="camel", frozen=True):
    event_type: str | None = None
    created_at: datetime | None = None
    data: _WebhookData | None = None
    # DEPOSIT_CALLBACK has no eventType and no data: its fields sit at the top level.
    order_id: str | None = None
    status: str | None = None


_payment_decoder = msgspec.json.Decoder(PaymentBody)
_error_decoder = msgspec.json.Decoder(ErrorBody)
_webhook_decoder = msgspec.json.Decoder(_Webhook)
_encoder = msgspec.json.Encoder()


def encode(body: msgspec.Struct) -> bytes:
    return _encoder.encode(body)


def decode_payment(raw: bytes) -> TossPayment:
    """Raises ``msgspec.ValidationError``/``DecodeError`` or ``ValueError`` (an unknown status)."""
    return _payment_decoder.decode(raw).to_domain()


def decode_error(raw: bytes) -> ErrorBody | None:
    """Toss's ``{code, message}``, or ``None`` when the body is not one (a proxy's HTML page)."""
    try:
        return _error_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def _status(value: str | None) -> PaymentStatus | None:
    try:
        return PaymentStatus(value) if value else None
    except ValueError:
        return None


def parse_webhook(raw: bytes, headers: Mapping[str, str] | None = None) -> PaymentWebhook:
    """A Toss webhook body (and its ``tosspayments-webhook-transmission-*`` headers) as a notice.

    ``createdAt`` carries no offset on the wire; it is read as Korea time. Raises
    ``msgspec.DecodeError``/``ValidationError`` for a body that is not a Toss webhook.
    """
    event = _webhook_decoder.decode(raw)
    created = event.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=SEOUL)
    data = event.data
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    retried = lower.get("tosspayments-webhook-transmission-retried-count", "0")
    return PaymentWebhook(
        event_type=event.event_type or ("DEPOSIT_CALLBACK" if event.order_id else "UNKNOWN"),
        created_at=created,
        payment_key=data.payment_key if data else None,
        order_id=data.order_id if data else event.order_id,
        status=_status(data.status if data else event.status),
        transmission_id=lower.get("tosspayments-webhook-transmission-id"),
        retried_count=int(retried) if retried.isdigit() else 0,
    )
