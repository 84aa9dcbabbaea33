"""What the payments use cases need from outside, as Protocols speaking domain types."""

from __future__ import annotations

from typing import Protocol

from sagopalgo.payments.domain.payment import TossPayment

__all__ = ["PaymentProvider"]


class PaymentProvider(Protocol):
    """The payment provider (Toss Payments): approve, read back and cancel a payment.

    Every call raises ``ProviderUnavailable`` when the provider gives no usable answer (and
    ``ProviderAuthFailed`` when it refuses our credentials). ``confirm`` and ``cancel`` carry an
    idempotency key: the same key replays the first answer instead of acting twice, so a caller
    retries a lost answer with the *same* key, and uses one key per logical operation (never one key
    for two payments). Keys are 1–300 characters.
    """

    async def confirm(
        self, payment_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> TossPayment:
        """Approve the authenticated payment; returns it ``DONE`` (or ``WAITING_FOR_DEPOSIT``).

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
