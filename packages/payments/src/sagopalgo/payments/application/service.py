"""Paying for awards through Toss: checkout, confirm, refund, webhooks and reconciliation.

Money rules, in the order a confirm meets them:

1. Everything that can be checked on our side is checked *before* Toss is called: the caller won
   the award, the order is theirs and unpaid, the award's deadline has not passed, and the amount
   is exactly the award's. A refusal here leaves no trace at Toss.
2. The order moves to ``CONFIRMING`` (with the payment key) in its own commit before Toss is
   called. A crash, a timeout or a failed write after that point leaves the order there, where a
   repeated confirm or ``reconcile`` finds it and asks Toss what happened.
3. Toss is called with an idempotency key derived from the order and the payment (``Order.
   confirm_key``): any retry is a replay, never a second charge.
4. Toss's approval is recorded award first (``Awards.mark_paid``, idempotent), order second, so a
   failure between the two is completed by the next pass from Toss's answer. An award that lapsed
   while its payment was under way is refunded in full: never money taken for nothing.

Webhooks are hints: the payment is read back from Toss and only that answer is acted on, so
repeats, forgeries and reordered deliveries change nothing they should not.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.errors import DomainError, Forbidden, NotFound
from sagopalgo.kernel.identity import Principal
from sagopalgo.payments.domain.errors import (
    AlreadyPaid,
    AlreadyRefunded,
    AmountMismatch,
    AwardExpired,
    NotRefundable,
    OrderClosed,
    PaymentAlreadyCanceled,
    PaymentAlreadyProcessed,
    PaymentInProgress,
    PaymentNotFound,
    PaymentRejected,
    PaymentsDisabled,
    ProviderUnavailable,
)
from sagopalgo.payments.domain.order import AwardToPay, Order, OrderStatus
from sagopalgo.payments.domain.payment import PaymentStatus, PaymentWebhook, TossPayment
from sagopalgo.payments.ports import Awards, PaymentProvider, PaymentsUnitOfWork, WebhookReceipt

__all__ = ["Checkout", "PaymentsService", "Reconciled"]

_log = logging.getLogger("sagopalgo.payments")

_OPEN, _CONFIRMING, _PAID = OrderStatus.OPEN, OrderStatus.CONFIRMING, OrderStatus.PAID
_SETTLEABLE = (_OPEN, _CONFIRMING)
LAPSED_REFUND_REASON = "The award's payment deadline passed before the payment was recorded."


@dataclass(frozen=True, slots=True)
class Checkout:
    """What the browser needs to open Toss's checkout for an order."""

    order: Order
    client_key: str
    customer_key: str


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What one reconciliation pass did."""

    completed: int = 0
    """Orders Toss had approved, now recorded as paid."""
    released: int = 0
    """Orders Toss never approved, now failed (nothing was charged)."""
    refunded: int = 0
    """Approved payments for awards that had lapsed meanwhile, refunded."""
    pending: int = 0
    """Orders Toss could not tell us about this time (unreachable, still processing)."""
    notices: int = 0
    """Webhook deliveries whose effect was applied late."""


class PaymentsService:
    def __init__(
        self,
        *,
        uow: Callable[[], PaymentsUnitOfWork],
        provider: PaymentProvider | None,
        awards: Awards,
        clock: Clock,
        client_key: str | None,
        customer_secret: bytes,
        stale_after: timedelta = timedelta(seconds=60),
        batch: int = 100,
    ) -> None:
        """``provider`` and ``client_key`` are ``None`` when the deployment has no Toss keys.

        ``stale_after``: how long an order may sit in ``CONFIRMING`` before the reconciler takes it
        (a confirm under way keeps it that long at most, Toss's slowest answer included).
        """
        self._uow, self._provider, self._awards, self._clock = uow, provider, awards, clock
        self._client_key, self._customer_secret = client_key, customer_secret
        self._stale_after, self._batch = stale_after, batch

    @property
    def enabled(self) -> bool:
        return self._provider is not None and self._client_key is not None

    def _toss(self) -> PaymentProvider:
        if self._provider is None or self._client_key is None:
            raise PaymentsDisabled("Payments are not configured on this deployment.")
        return self._provider

    def customer_key(self, user_id: int) -> str:
        """Toss's ``customerKey`` for a user: stable, and not guessable from the user id."""
        digest = hmac.new(self._customer_secret, f"customer:{user_id}".encode(), hashlib.sha256)
        return f"cus_{digest.hexdigest()[:40]}"

    # ================================================================== checkout
    async def checkout(self, actor: Principal, award_id: int) -> Checkout:
        """The award's order for Toss's checkout: its open order again, or a new one.

        One live order per award (a database constraint): a repeated checkout returns the open
        order, so two tabs cannot each start a payment for the same award.
        """
        self._toss()
        award = await self._awards.for_winner(actor, award_id)
        for _ in range(2):  # a racing checkout may create the order between our read and insert
            now = self._clock.now()
            async with self._uow() as uow:
                order = await uow.orders.live_of_award(award_id)
            if order is not None and order.status is _PAID:
                raise _already_paid(order)
            award.payable(now)
            if order is not None:
                if order.status is _CONFIRMING:
                    raise PaymentInProgress("A payment for this award is being confirmed; wait for it.")
                return self._checkout(order)
            order = Order.issue(_new_order_id(award_id), award, now)
            async with self._uow() as uow:
                added = await uow.orders.add(order)
                if added:
                    await uow.commit()
            if added:
                _log.info("order %s issued for award %d (%d KRW)", order.order_id, award_id, order.amount)
                return self._checkout(order)
        raise PaymentInProgress("Another checkout for this award is under way; retry.")

    def _checkout(self, order: Order) -> Checkout:
        return Checkout(order, self._client_key or "", self.customer_key(order.buyer_id))

    # ================================================================== confirm
    async def confirm(
        self,
        actor: Principal,
        *,
        payment_key: str,
        order_id: str,
        amount: int,
        test_code: str | None = None,
    ) -> Order:
        """Approve the buyer's authenticated payment for their order; returns the order, ``PAID``.

        Raises ``NotFound`` (unknown order), ``Forbidden`` (not the winner's), ``AlreadyPaid``,
        ``OrderClosed`` (its attempt failed: check out again), ``AwardExpired``, ``AmountMismatch``
        (never sent to Toss), ``PaymentInProgress`` (confirming another payment), ``PaymentRejected``
        (Toss refused; the order is failed), ``ProviderUnavailable`` (no answer from Toss: the order
        stays ``CONFIRMING`` and a retry or the reconciler settles it). ``test_code`` is passed to
        Toss as its ``TossPayments-Test-Code`` (honoured with test keys only).
        """
        toss = self._toss()
        for _ in range(3):  # a racing confirm of the same order moves it on; then decide again
            async with self._uow() as uow:
                order = await uow.orders.get(order_id)
            if order is None:
                raise NotFound("No such order.")
            award = await self._awards.for_winner(actor, order.award_id)
            if order.buyer_id != actor.user_id:
                raise Forbidden("This order is not yours.")
            self._check_confirmable(order, award, payment_key, amount)
            if order.status is _CONFIRMING:  # a retry of this very confirm: the same key replays
                return await self._confirm_at_toss(toss, order, test_code)
            order.start_confirming(payment_key, self._clock.now())
            if await self._save(order, was=(_OPEN,)):
                return await self._confirm_at_toss(toss, order, test_code)
        raise PaymentInProgress("This order is being confirmed; retry shortly.")

    def _check_confirmable(self, order: Order, award: AwardToPay, payment_key: str, amount: int) -> None:
        if order.status is _PAID:
            raise _already_paid(order)
        if order.status in {OrderStatus.FAILED, OrderStatus.REFUNDED}:
            raise OrderClosed("This order is closed; start a new checkout for the award.")
        if amount != order.amount or order.amount != award.amount:
            raise AmountMismatch("The amount is not the award's; nothing was charged.")
        if order.status is _CONFIRMING:
            if order.payment_key != payment_key:
                raise PaymentInProgress("Another payment for this order is being confirmed.")
            return  # resolved from Toss's answer, whatever the clock says: it may be approved
        award.payable(self._clock.now())

    async def _confirm_at_toss(
        self, toss: PaymentProvider, order: Order, test_code: str | None = None
    ) -> Order:
        """Ask Toss to approve the ``CONFIRMING`` order's payment and act on its answer."""
        payment_key = order.payment_key or ""
        try:
            payment = await toss.confirm(
                payment_key, order.order_id, order.amount, order.confirm_key(), test_code=test_code
            )
        except PaymentAlreadyProcessed:  # settled under another key (or by Toss): go and look
            payment = await toss.by_key(payment_key)
        except PaymentRejected as refused:  # declined, or the 10-minute window passed
            await self._fail(order, refused.toss_code)
            raise
        except PaymentNotFound as missing:
            await self._fail(order, "NOT_FOUND_PAYMENT")
            raise PaymentRejected("NOT_FOUND_PAYMENT", missing.message) from None
        except ProviderUnavailable as down:
            # The adapter retried with the same key already; read back before giving up.
            # If Toss has decided either way (approved, aborted, expired), the buyer hears it now
            # rather than after the reconciler's next pass.
            with contextlib.suppress(ProviderUnavailable, PaymentNotFound):
                payment = await toss.by_key(payment_key)
                if payment.status.approved or payment.status.final:
                    return self._outcome(await self._settle(toss, order, payment))
            _log.warning("confirm of order %s left CONFIRMING: %s", order.order_id, down.message)
            raise
        return self._outcome(await self._settle(toss, order, payment))

    @staticmethod
    def _outcome(order: Order) -> Order:
        """A confirm's answer from the order Toss's answer left."""
        if order.status is _PAID:
            return order
        if order.status is OrderStatus.FAILED:
            raise PaymentRejected(order.failure_code or "PAYMENT_FAILED", "Toss did not approve the payment.")
        if order.status is OrderStatus.REFUNDED:
            raise AwardExpired("The award lapsed before the payment was recorded; it was refunded in full.")
        raise PaymentInProgress("Toss has not approved the payment yet; retry shortly.")

    # ================================================================== Toss's answer → our records
    async def _settle(self, toss: PaymentProvider, order: Order, payment: TossPayment) -> Order:
        """Bring an open or confirming order in line with Toss's record of its payment."""
        if payment.order_id != order.order_id or payment.payment_key != order.payment_key:
            _log.warning("order %s: payment %s is another attempt", order.order_id, payment.payment_key)
            return order
        if payment.status in {PaymentStatus.DONE, PaymentStatus.PARTIAL_CANCELED}:
            return await self._complete(toss, order, payment)
        if payment.status is PaymentStatus.CANCELED:  # approved, then given back (Toss's console)
            return await self._record_refund(order, payment, _last_reason(payment))
        if payment.status in {PaymentStatus.ABORTED, PaymentStatus.EXPIRED}:
            code = payment.failure.code if payment.failure else payment.status.value
            return await self._fail(order, code)
        return order  # READY, IN_PROGRESS, WAITING_FOR_DEPOSIT: nothing settled yet

    async def _complete(self, toss: PaymentProvider, order: Order, payment: TossPayment) -> Order:
        if payment.total_amount != order.amount:  # Toss binds the amount; this is never expected
            _log.error(
                "order %s: Toss approved %d KRW, the order is %d KRW; left for an operator",
                order.order_id,
                payment.total_amount,
                order.amount,
            )
            raise ProviderUnavailable("Toss's answer does not match the order.")
        try:
            await self._awards.mark_paid(order.award_id)  # award first: idempotent, so a rerun is safe
        except AwardExpired:
            _log.warning("order %s: award %d lapsed first; refunding", order.order_id, order.award_id)
            refunded = await self._cancel_at_toss(toss, order, LAPSED_REFUND_REASON)
            return await self._record_refund(order, refunded, LAPSED_REFUND_REASON)
        order.paid(
            payment_key=payment.payment_key,
            method=payment.method,
            approved_at=payment.approved_at,
            receipt_url=payment.receipt_url,
            now=self._clock.now(),
        )
        if not await self._save(order, was=_SETTLEABLE):
            return await self._reload(order)
        _log.info("order %s paid (%d KRW, award %d)", order.order_id, order.amount, order.award_id)
        return order

    async def _fail(self, order: Order, code: str) -> Order:
        if order.status not in _SETTLEABLE:
            return order
        order.failed(code, self._clock.now())
        if not await self._save(order, was=_SETTLEABLE):
            return await self._reload(order)
        _log.info("order %s failed at Toss: %s", order.order_id, code)
        return order

    async def _record_refund(self, order: Order, payment: TossPayment, reason: str) -> Order:
        if order.status is OrderStatus.REFUNDED:
            return order
        at = payment.cancels[-1].canceled_at if payment.cancels else self._clock.now()
        order.refunded(amount=payment.canceled_amount, reason=reason, at=at, now=self._clock.now())
        if not await self._save(order, was=(*_SETTLEABLE, _PAID)):
            return await self._reload(order)
        _log.info("order %s refunded (%d KRW): %s", order.order_id, payment.canceled_amount, reason)
        return order

    async def _cancel_at_toss(self, toss: PaymentProvider, order: Order, reason: str) -> TossPayment:
        """Give the whole payment back (the order's one refund key: a retry replays)."""
        payment_key = order.payment_key or ""
        try:
            return await toss.cancel(payment_key, reason, order.refund_key())
        except PaymentAlreadyCanceled:
            return await toss.by_key(payment_key)

    async def _save(self, order: Order, *, was: Collection[OrderStatus]) -> bool:
        async with self._uow() as uow:
            saved = await uow.orders.save(order, was=was)
            if saved:
                await uow.commit()
        return saved

    async def _reload(self, order: Order) -> Order:
        async with self._uow() as uow:
            return await uow.orders.get(order.order_id) or order

    # ================================================================== refunds (administrators)
    async def refund(self, actor: Principal, order_id: str, reason: str) -> Order:
        """Give a paid order's money back in full through Toss, and record it."""
        toss = self._toss()
        if not actor.is_admin:
            raise Forbidden("Only administrators may refund payments.")
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None:
            raise NotFound("No such order.")
        if order.status is OrderStatus.REFUNDED:
            raise AlreadyRefunded("This order was refunded already.")
        if order.status is not _PAID:
            raise NotRefundable("Only a paid order can be refunded.")
        payment = await self._cancel_at_toss(toss, order, reason)
        if payment.status is not PaymentStatus.CANCELED:
            raise ProviderUnavailable("Toss did not cancel the whole payment; retry.")
        order = await self._record_refund(order, payment, reason)
        _log.info("order %s refunded by admin %d", order_id, actor.user_id)
        return order

    # ================================================================== webhooks
    async def receive(self, notice: PaymentWebhook) -> bool:
        """Record a delivery; ``True`` if its effect is still to be applied (not a repeat)."""
        if notice.payment_key is None and notice.order_id is None:
            return False  # no payment named: nothing of ours (billing, payouts...)
        if notice.transmission_id is None:
            return True  # nothing to recognise a repeat by; applying twice is harmless
        receipt = WebhookReceipt(
            transmission_id=notice.transmission_id[:100],
            event_type=notice.event_type[:64],
            payment_key=notice.payment_key[:200] if notice.payment_key else None,
            order_id=notice.order_id[:64] if notice.order_id else None,
            received_at=self._clock.now(),
        )
        async with self._uow() as uow:
            fresh = await uow.receipts.add(receipt)
            if fresh:
                await uow.commit()
        return fresh

    async def apply(self, notice: PaymentWebhook | WebhookReceipt) -> None:
        """Act on a delivery by what Toss says *now* about the payment it names, never its body.

        Raises ``ProviderUnavailable`` when Toss cannot be asked; the delivery then stays
        unprocessed and the reconciler applies it later.
        """
        toss = self._toss()
        try:
            if notice.payment_key:
                payment: TossPayment | None = await toss.by_key(notice.payment_key)
            elif notice.order_id:
                payment = await toss.by_order(notice.order_id)
            else:
                payment = None
        except PaymentNotFound:  # a forged or foreign notice
            payment = None
        if payment is not None:
            async with self._uow() as uow:
                order = await uow.orders.get(payment.order_id)
            if order is not None:
                try:
                    await self._follow(toss, order, payment)
                except ProviderUnavailable:
                    raise
                except DomainError as outcome:  # e.g. refunded because the award lapsed
                    _log.info("notice for order %s: %s", order.order_id, outcome.message)
        if notice.transmission_id is not None:
            async with self._uow() as uow:
                await uow.receipts.processed(notice.transmission_id[:100], self._clock.now())
                await uow.commit()

    async def _follow(self, toss: PaymentProvider, order: Order, payment: TossPayment) -> None:
        """Our order after Toss's record of one of its payments, whatever order the news came in."""
        ours = payment.payment_key == order.payment_key
        if order.status is _CONFIRMING and ours:
            await self._settle(toss, order, payment)
        elif order.status is _OPEN and payment.status is PaymentStatus.DONE:
            # Approved though we never recorded asking: money taken, so the award is paid.
            order.payment_key = payment.payment_key
            await self._complete(toss, order, payment)
        elif order.status is _PAID and ours and payment.status is PaymentStatus.CANCELED:
            await self._record_refund(order, payment, _last_reason(payment))

    # ================================================================== reconciliation
    async def reconcile(self, now: datetime | None = None) -> Reconciled:
        """Settle orders left ``CONFIRMING`` and deliveries left unapplied, from Toss's answers.

        For each order stuck longer than ``stale_after``: Toss approved it → recorded paid (the
        award first); Toss still waits for our confirm → the confirm is sent again with the same
        idempotency key (the buyer asked to pay; a replay if the first one got through); Toss
        refused it, let it expire or never heard of it → failed, nothing charged; Toss unreachable
        → left for the next pass. Safe to run in several processes at once: every write is a
        compare-and-set and every Toss call is idempotent.
        """
        if not self.enabled:
            return Reconciled()
        toss = self._toss()
        cutoff = (now or self._clock.now()) - self._stale_after
        completed = released = refunded = pending = notices = 0
        async with self._uow() as uow:
            stuck = await uow.orders.confirming_since(cutoff, self._batch)
        for order in stuck:
            try:
                settled = await self._resolve(toss, order)
            except ProviderUnavailable:
                pending += 1
                continue
            except PaymentRejected:
                released += 1
                continue
            except AwardExpired:
                refunded += 1
                continue
            except DomainError as other:
                _log.warning("reconciling order %s: %s", order.order_id, other.message)
                pending += 1
                continue
            completed += settled.status is _PAID
            released += settled.status is OrderStatus.FAILED
            refunded += settled.status is OrderStatus.REFUNDED
            pending += settled.status is _CONFIRMING
        async with self._uow() as uow:
            receipts = await uow.receipts.unprocessed(cutoff, self._batch)
        for receipt in receipts:
            with contextlib.suppress(ProviderUnavailable):
                await self.apply(receipt)
                notices += 1
        result = Reconciled(completed, released, refunded, pending, notices)
        if stuck or receipts:
            _log.info("payments reconciled: %s", result)
        return result

    async def _resolve(self, toss: PaymentProvider, order: Order) -> Order:
        try:
            payment = await toss.by_key(order.payment_key or "")
        except PaymentNotFound:
            return await self._fail(order, "NOT_FOUND_PAYMENT")
        if payment.status in {PaymentStatus.READY, PaymentStatus.IN_PROGRESS}:
            return await self._confirm_at_toss(toss, order)
        return await self._settle(toss, order, payment)

    async def run_reconciler(self, stop: asyncio.Event, every_s: float) -> None:
        """Reconcile every ``every_s`` seconds until ``stop`` is set (one per API process)."""
        while not stop.is_set():
            try:
                await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database or Toss blip: the next pass retries
                _log.warning("payment reconciliation failed; retrying", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)


def _new_order_id(award_id: int) -> str:
    """``sgp-<award>-<random>``: matches ``ORDER_ID_PATTERN``, unguessable, unique per attempt."""
    return f"sgp-{award_id}-{secrets.token_urlsafe(12)}"


def _already_paid(order: Order) -> AlreadyPaid:
    extra = {"orderId": order.order_id, "receiptUrl": order.receipt_url}  # a lost first answer's receipt
    return AlreadyPaid("This order is paid already.", extra=extra)


def _last_reason(payment: TossPayment) -> str:
    return payment.cancels[-1].reason if payment.cancels else "Cancelled at Toss."
