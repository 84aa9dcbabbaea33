"""The lot's life cycle, every transition explicit.

``SCHEDULED → OPEN → SOLD | UNSOLD``, ``SOLD → PAID``, ``SCHEDULED → WITHDRAWN``, and
``UNSOLD → SCHEDULED`` by relisting for a later day. Editing and withdrawing belong to
``SCHEDULED`` alone: once bidding opens the listing is what bidders bid on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sagopalgo.catalog.domain.errors import LotLocked, LotStateConflict
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.money import check_krw

__all__ = ["MIN_INCREMENT_KRW", "MIN_START_PRICE_KRW", "Lot", "LotStatus", "LotTerms"]

MIN_START_PRICE_KRW = 1_000
"""The smallest start price: below a thousand won an auction costs more than it raises."""
MIN_INCREMENT_KRW = 100
"""The smallest bid increment: a zero increment let the original's bidders tie forever."""


class LotStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    OPEN = "OPEN"
    SOLD = "SOLD"
    UNSOLD = "UNSOLD"
    PAID = "PAID"
    WITHDRAWN = "WITHDRAWN"


@dataclass(frozen=True, slots=True)
class LotTerms:
    """Start price and increment, integer KRW within the deployment's bound."""

    start_price: int
    bid_increment: int

    @classmethod
    def of(cls, start_price: object, bid_increment: object, *, max_krw: int) -> LotTerms:
        try:
            start = check_krw(start_price, minimum=MIN_START_PRICE_KRW, maximum=max_krw)
        except ValueError as exc:
            raise Invalid(f"startPrice: {exc}", field="startPrice") from None
        try:
            step = check_krw(bid_increment, minimum=MIN_INCREMENT_KRW, maximum=max_krw)
        except ValueError as exc:
            raise Invalid(f"bidIncrement: {exc}", field="bidIncrement") from None
        return cls(start, step)


@dataclass(slots=True)
class Lot:
    seller_id: int
    title: str
    description: str
    category_id: int
    terms: LotTerms
    auction_day: date
    created_at: datetime
    extended_bidding: bool = False
    status: LotStatus = LotStatus.SCHEDULED
    id: int | None = None

    def _require(self, *allowed: LotStatus, action: str) -> None:
        if self.status not in allowed:
            raise LotStateConflict(f"Cannot {action} a lot that is {self.status.value}.")

    def edit(self, *, title: str, description: str, category_id: int, terms: LotTerms) -> None:
        if self.status is not LotStatus.SCHEDULED:
            raise LotLocked("Only a scheduled lot can be edited.")
        self.title, self.description, self.category_id, self.terms = title, description, category_id, terms

    def withdraw(self) -> None:
        if self.status is not LotStatus.SCHEDULED:
            raise LotLocked("Only a scheduled lot can be withdrawn.")
        self.status = LotStatus.WITHDRAWN

    def open(self) -> None:
        self._require(LotStatus.SCHEDULED, action="open")
        self.status = LotStatus.OPEN

    def close(self, *, has_winner: bool) -> None:
        self._require(LotStatus.OPEN, action="close")
        self.status = LotStatus.SOLD if has_winner else LotStatus.UNSOLD

    def mark_paid(self) -> None:
        self._require(LotStatus.SOLD, action="mark as paid")
        self.status = LotStatus.PAID

    def relist(self, day: date, *, now: datetime, window: AuctionWindow) -> None:
        self._require(LotStatus.UNSOLD, action="relist")
        self.auction_day = window.check_listable(day, now)
        self.status = LotStatus.SCHEDULED
