"""What the payments use cases need from outside, as Protocols speaking domain types."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.uow import UnitOfWork
from sagopalgo.payments.domain.order import AwardToPay, Order, OrderStatus
from sagopalgo.payments.domain.payment import TossPayment

__all__ = [
    "Awards",
    "OrderRepository",
    "PaymentProvider",
    "PaymentsUnitOfWork",
    "WebhookReceipt",
    "WebhookReceipts",
]


class PaymentProvider(Protocol):
    """The payment provider (Toss Payments): approve, read back and cancel a payment.

    Every call raises ``ProviderUnavailable`` when the provider gives no usable answer (and
    ``ProviderAuthFailed`` when it refuses our credentials). ``confirm`` and ``cancel`` carry an
    idempotency key: the same key replays the first answer instead of acting twice, so a caller
    retries a lost answer with the *same* key, and uses one key per logical operation (never one key
    for two payments). Keys are 1–300 characters.
    """

    async def confirm(
        self,
        payment_key: str,
        order_id: str,
        amount: int,
        idempotency_key: str,
        *,
        test_code: str | None = None,
    ) -> TossPayment:
        """Approve the authenticated payment; returns it ``DONE`` (or ``WAITING_FOR_DEPOSIT``).

        ``test_code``: with a test key, Toss answers with that error code instead (its
        ``TossPayments-Test-Code``), so a sandbox can rehearse a declined card; a live key ignores it.

        Raises ``PaymentRejected`` (declined, amount or order mismatch), ``PaymentSessionExpired``
        (called after the 10-minute window), ``PaymentAlreadyProcessed`` (approved already, under
        another key: look it up), ``PaymentNotFound``. The caller compares ``amount`` and
        ``order_id`` with its own order *before* calling; the provider's check is a backstop.
        """
        ...

    async def by_order(self, order_id: str) -> TossPayment:
        """The payment for our order id, in any status; raises ``PaymentNotFound``.

        The reconciliation read after a confirm or cancel whose outcome is unknown.
        """
        ...

    async def by_key(self, payment_key: str) -> TossPayment:
        """The payment by the provider's key, in any status; raises ``PaymentNotFound``.

        Webhook handlers act on this answer, never on the webhook's body.
        """
        ...

    async def cancel(
        self, payment_key: str, reason: str, idempotency_key: str, amount: int | None = None
    ) -> TossPayment:
        """Cancel ``amount`` (``None``: the whole remaining balance); returns the updated payment.

        Raises ``CancelRejected`` (more than the balance, not cancellable), ``PaymentAlreadyCanceled``,
        ``PaymentNotFound``. ``reason`` is required by the provider (at most 200 characters).
        """
        ...


class Awards(Protocol):
    """The awards payments collects on (the bidding context's, reached through its contract)."""

    async def for_winner(self, actor: Principal, award_id: int) -> AwardToPay:
        """The award if ``actor`` won it; raises ``Forbidden`` for anyone else, ``NotFound`` if unknown."""
        ...

    async def mark_paid(self, award_id: int) -> None:
        """The award (and its lot) are paid; idempotent. Raises ``AwardExpired`` if it lapsed first."""
        ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> bool:
        """Store a new order; ``False`` if the award has a live order already (a racing checkout)."""
        ...

    async def get(self, order_id: str) -> Order | None: ...

    async def live_of_award(self, award_id: int) -> Order | None:
        """The award's one order that is not ``FAILED``, if any."""
        ...

    async def save(self, order: Order, *, was: Collection[OrderStatus]) -> bool:
        """Write the order if it is still in one of the statuses ``was`` (compare-and-set).

        ``False`` when another request moved it first: the caller reads it again and decides.
        """
        ...

    async def confirming_since(self, before: datetime, limit: int) -> list[Order]:
        """Orders in ``CONFIRMING`` since ``before`` or earlier, oldest first: the reconciler's work."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """One delivery of a provider webhook, kept to recognise its repeats (by transmission id)."""

    transmission_id: str
    event_type: str
    payment_key: str | None
    order_id: str | None
    received_at: datetime
    processed_at: datetime | None = None


class WebhookReceipts(Protocol):
    async def add(self, receipt: WebhookReceipt) -> bool:
        """Record a delivery; ``False`` if this transmission id was received before."""
        ...

    async def processed(self, transmission_id: str, at: datetime) -> None: ...

    async def unprocessed(self, before: datetime, limit: int) -> list[WebhookReceipt]:
        """Deliveries received by ``before`` whose effect was never applied (oldest first)."""
        ...


class PaymentsUnitOfWork(UnitOfWork, Protocol):
    @property
    def orders(self) -> OrderRepository: ...

    @property
    def receipts(self) -> WebhookReceipts: ...
