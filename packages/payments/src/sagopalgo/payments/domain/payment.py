"""A payment as Toss Payments reports it: the facts our use cases read, in domain types.

Amounts are integer KRW (the only currency we charge in); times are timezone-aware. Toss's own
vocabulary (``paymentKey``, its statuses) is kept because the provider *is* the authority on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sagopalgo.kernel.clock import ensure_aware

__all__ = ["PaymentCancel", "PaymentFailure", "PaymentStatus", "PaymentWebhook", "TossPayment"]


class PaymentStatus(StrEnum):
    """Toss's life cycle of one payment attempt.

    ``READY → IN_PROGRESS → DONE | ABORTED | EXPIRED``, then ``DONE → PARTIAL_CANCELED → CANCELED``;
    virtual accounts pass through ``WAITING_FOR_DEPOSIT``.
    """

    READY = "READY"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_FOR_DEPOSIT = "WAITING_FOR_DEPOSIT"
    DONE = "DONE"
    CANCELED = "CANCELED"
    PARTIAL_CANCELED = "PARTIAL_CANCELED"
    ABORTED = "ABORTED"
    EXPIRED = "EXPIRED"

    @property
    def approved(self) -> bool:
        """Money was taken at some point (it may since have been given back in part or whole)."""
        return self in {PaymentStatus.DONE, PaymentStatus.PARTIAL_CANCELED, PaymentStatus.CANCELED}

    @property
    def final(self) -> bool:
        """No later event can approve this attempt: a new payment is the only way forward."""
        return self in {PaymentStatus.ABORTED, PaymentStatus.EXPIRED, PaymentStatus.CANCELED}


@dataclass(frozen=True, slots=True)
class PaymentFailure:
    """Why an attempt was aborted or expired, in Toss's code (``EXPIRED_PAYMENT``, ``COMMON_ERROR``)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class PaymentCancel:
    """One (full or partial) cancel transaction of an approved payment."""

    amount: int
    reason: str
    canceled_at: datetime
    transaction_key: str
    status: str
    """Toss's ``cancelStatus``; ``DONE`` once the cancel went through."""

    def __post_init__(self) -> None:
        ensure_aware(self.canceled_at)


@dataclass(frozen=True, slots=True)
class TossPayment:
    """The provider's record of one payment attempt, as last read from it."""

    payment_key: str
    order_id: str
    status: PaymentStatus
    total_amount: int
    """What was authorised; never changes after approval."""
    balance_amount: int
    """What can still be cancelled: ``total_amount`` less every cancel."""
    order_name: str = ""
    currency: str = "KRW"
    method: str | None = None
    """As Toss names it (``카드``, or ``CARD`` in English); ``None`` before approval."""
    requested_at: datetime | None = None
    approved_at: datetime | None = None
    last_transaction_key: str | None = None
    receipt_url: str | None = None
    cancels: tuple[PaymentCancel, ...] = ()
    failure: PaymentFailure | None = None

    def __post_init__(self) -> None:
        for instant in (self.requested_at, self.approved_at):
            if instant is not None:
                ensure_aware(instant)

    @property
    def canceled_amount(self) -> int:
        return sum(cancel.amount for cancel in self.cancels)


@dataclass(frozen=True, slots=True)
class PaymentWebhook:
    """A status-change notice from the provider.

    A notice is a hint, not evidence: payment webhooks carry no signature, so the handler reads the
    payment back (``PaymentProvider.by_key``) and acts on that answer only. Notices may repeat and
    arrive out of order; ``transmission_id`` identifies a delivery for de-duplication.
    """

    event_type: str
    created_at: datetime | None
    payment_key: str | None
    order_id: str | None
    status: PaymentStatus | None
    transmission_id: str | None = None
    retried_count: int = 0
