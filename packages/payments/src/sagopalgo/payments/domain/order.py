"""An order: one attempt to pay an award through Toss, from checkout to paid (or failed, refunded).

The server issues the ``order_id`` and fixes the amount at checkout (the award's hammer price), so
a confirm can be checked against our record before Toss is asked. An award has at most one *live*
order (open, confirming or paid): two tabs cannot open two payments for one award. The order is moved to
``CONFIRMING`` (with the payment key) before Toss is called, so a crash or a lost answer leaves
evidence for the reconciler, which asks Toss what became of it.

Life cycle::

    OPEN ──confirm──▶ CONFIRMING ──Toss approved──▶ PAID ──refund──▶ REFUNDED
                         │               └──award lapsed first──▶ REFUNDED
                         └──Toss refused / expired──▶ FAILED   (checkout issues a new order)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sagopalgo.kernel.clock import ensure_aware
from sagopalgo.payments.domain.errors import AlreadyPaid, AwardExpired

__all__ = ["ORDER_ID_PATTERN", "AwardState", "AwardToPay", "Order", "OrderStatus"]

ORDER_ID_PATTERN = r"^[A-Za-z0-9_-]{6,64}$"
"""Our order ids: valid under every reading of Toss's rules (TOSS.md §3.1)."""
_ORDER_ID = re.compile(ORDER_ID_PATTERN)
MAX_ORDER_NAME = 100


class AwardState(StrEnum):
    """Where the award stands, as the bidding context reports it."""

    DUE = "DUE"
    PAID = "PAID"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class AwardToPay:
    """What payments needs to know of an award: who owes what, by when, for which lot."""

    award_id: int
    lot_id: int
    winner_id: int
    amount: int
    pay_by: datetime
    state: AwardState
    title: str
    """The lot's title: the order's name at Toss's checkout."""

    def payable(self, now: datetime) -> None:
        """Raise ``AlreadyPaid`` or ``AwardExpired`` unless the winner may still pay."""
        if self.state is AwardState.PAID:
            raise AlreadyPaid("This award is paid already.")
        if self.state is AwardState.EXPIRED or now >= self.pay_by:
            raise AwardExpired("The payment deadline for this award has passed.")

    @property
    def order_name(self) -> str:
        name = " ".join(self.title.split()) or f"Lot {self.lot_id}"
        return name if len(name) <= MAX_ORDER_NAME else name[: MAX_ORDER_NAME - 1] + "…"


class OrderStatus(StrEnum):
    OPEN = "OPEN"
    """Issued by checkout; the buyer may pay it."""
    CONFIRMING = "CONFIRMING"
    """We asked Toss to approve ``payment_key``; until Toss's answer is recorded, the outcome is open."""
    PAID = "PAID"
    FAILED = "FAILED"
    """Toss refused or let the attempt expire: nothing was charged. A new checkout issues a new order."""
    REFUNDED = "REFUNDED"
    """Approved, then cancelled in full (by an administrator, or because the award lapsed first)."""

    @property
    def live(self) -> bool:
        """Counts as the award's one order: open, being confirmed, or paid.

        A failed or refunded order frees the award for a new checkout, which the award itself then
        allows or refuses (an award paid and refunded by an administrator stays paid).
        """
        return self in {OrderStatus.OPEN, OrderStatus.CONFIRMING, OrderStatus.PAID}


@dataclass(slots=True)
class Order:
    order_id: str
    award_id: int
    buyer_id: int
    amount: int
    order_name: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    payment_key: str | None = None
    confirming_since: datetime | None = None
    method: str | None = None
    approved_at: datetime | None = None
    receipt_url: str | None = None
    failure_code: str | None = None
    """Toss's code when the attempt failed (``REJECT_CARD_COMPANY``, ``NOT_FOUND_PAYMENT_SESSION``...)."""
    refunded_amount: int = 0
    refunded_at: datetime | None = None
    refund_reason: str | None = None

    def __post_init__(self) -> None:
        if not _ORDER_ID.fullmatch(self.order_id):
            raise ValueError(f"malformed order id {self.order_id!r}")
        if self.amount < 1:
            raise ValueError("an order's amount is a positive number of KRW")
        for instant in (self.created_at, self.updated_at, self.confirming_since, self.approved_at):
            if instant is not None:
                ensure_aware(instant)

    @classmethod
    def issue(cls, order_id: str, award: AwardToPay, now: datetime) -> Order:
        return cls(
            order_id=order_id,
            award_id=award.award_id,
            buyer_id=award.winner_id,
            amount=award.amount,
            order_name=award.order_name,
            status=OrderStatus.OPEN,
            created_at=now,
            updated_at=now,
        )

    def confirm_key(self) -> str:
        """Toss's ``Idempotency-Key`` for confirming this order's payment: the same on every retry.

        Derived from the order *and* the payment key: a retry of one confirm replays Toss's first
        answer, while no two payments can ever share a key (Toss replays by key alone, whatever the
        body says; TOSS.md §4).
        """
        if self.payment_key is None:
            raise ValueError("the order has no payment to confirm")
        digest = hashlib.sha256(self.payment_key.encode()).hexdigest()[:24]
        return f"confirm:{self.order_id}:{digest}"

    def refund_key(self) -> str:
        """Toss's ``Idempotency-Key`` for the order's (one, full) refund."""
        return f"refund:{self.order_id}"

    # ------------------------------------------------------------------ transitions
    def start_confirming(self, payment_key: str, now: datetime) -> None:
        self._require(OrderStatus.OPEN)
        self.status, self.payment_key = OrderStatus.CONFIRMING, payment_key
        self.confirming_since = self.updated_at = now

    def paid(
        self,
        *,
        payment_key: str,
        method: str | None,
        approved_at: datetime | None,
        receipt_url: str | None,
        now: datetime,
    ) -> None:
        self._require(OrderStatus.OPEN, OrderStatus.CONFIRMING)
        self.status, self.payment_key = OrderStatus.PAID, payment_key
        self.method, self.approved_at, self.receipt_url = method, approved_at or now, receipt_url
        self.failure_code, self.updated_at = None, now

    def failed(self, code: str, now: datetime) -> None:
        self._require(OrderStatus.OPEN, OrderStatus.CONFIRMING)
        self.status, self.failure_code, self.updated_at = OrderStatus.FAILED, code, now

    def refunded(self, *, amount: int, reason: str, at: datetime, now: datetime) -> None:
        self._require(OrderStatus.PAID, OrderStatus.CONFIRMING, OrderStatus.OPEN)
        self.status, self.refunded_amount, self.refund_reason = OrderStatus.REFUNDED, amount, reason
        self.refunded_at, self.updated_at = at, now

    def _require(self, *statuses: OrderStatus) -> None:
        if self.status not in statuses:
            raise ValueError(f"order {self.order_id} is {self.status}, not {'/'.join(statuses)}")
