"""The lot's listing and life cycle, every transition explicit.

``SCHEDULED → OPEN → SOLD | UNSOLD``, ``SOLD → PAID``, ``SCHEDULED → WITHDRAWN``, and
``UNSOLD → SCHEDULED`` by relisting for a later day. Editing and withdrawing belong to
``SCHEDULED`` alone: once bidding opens the listing is what bidders bid on.

A lot keeps the window it was listed under (``opens_at``/``closes_at``): changing the deployment's
window later does not move lots already announced to bidders.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from sagopalgo.catalog.contract import LotStatus
from sagopalgo.catalog.domain.errors import LotLocked, LotStateConflict
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.money import check_krw

__all__ = [
    "MAX_IMAGES",
    "MIN_INCREMENT_KRW",
    "MIN_START_PRICE_KRW",
    "Listing",
    "Lot",
    "LotStatus",
    "LotTerms",
    "check_image_keys",
]

MIN_START_PRICE_KRW = 1_000
"""The smallest start price: below a thousand won an auction costs more than it raises."""
MIN_INCREMENT_KRW = 100
"""The smallest bid increment: a zero increment let the original's bidders tie forever."""
MAX_IMAGES = 10
MAX_TITLE = 100
MAX_DESCRIPTION = 5_000


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
        if start + step > max_krw:
            raise Invalid("startPrice plus bidIncrement must stay within the bound.", field="bidIncrement")
        return cls(start, step)


def _text(raw: str, *, field: str, minimum: int, maximum: int, multiline: bool) -> str:
    text = unicodedata.normalize("NFC", raw).strip()
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
        raise Invalid(f"{field} must not contain control characters.", field=field)
    if not minimum <= len(text) <= maximum:
        raise Invalid(f"{field} must be {minimum} to {maximum} characters long.", field=field)
    return text


@dataclass(frozen=True, slots=True)
class Listing:
    """What the seller writes: checked once, the same way for listing and editing."""

    title: str
    description: str
    category_id: int

    @classmethod
    def of(cls, *, title: str, description: str, category_id: int) -> Listing:
        return cls(
            _text(title, field="title", minimum=2, maximum=MAX_TITLE, multiline=False),
            _text(description, field="description", minimum=0, maximum=MAX_DESCRIPTION, multiline=True),
            category_id,
        )


def check_image_keys(keys: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if not 1 <= len(keys) <= MAX_IMAGES:
        raise Invalid(f"A lot needs 1 to {MAX_IMAGES} photos.", field="imageKeys")
    if len(set(keys)) != len(keys):
        raise Invalid("A photo is listed twice.", field="imageKeys")
    return tuple(keys)


@dataclass(slots=True)
class Lot:
    seller_id: int
    seller_username: str
    listing: Listing
    terms: LotTerms
    auction_day: date
    opens_at: datetime
    closes_at: datetime
    created_at: datetime
    image_keys: tuple[str, ...] = ()
    extended_bidding: bool = False
    status: LotStatus = LotStatus.SCHEDULED
    current_price: int | None = None
    """The last accepted bid; ``None`` before the first (the bid gate owns the live value)."""
    bid_count: int = 0
    id: int | None = None
    version: int = field(default=0)

    @classmethod
    def listed(
        cls,
        *,
        seller_id: int,
        seller_username: str,
        listing: Listing,
        terms: LotTerms,
        auction_day: date,
        image_keys: tuple[str, ...],
        extended_bidding: bool,
        now: datetime,
        window: AuctionWindow,
    ) -> Lot:
        day = window.check_listable(auction_day, now)
        return cls(
            seller_id=seller_id,
            seller_username=seller_username,
            listing=listing,
            terms=terms,
            auction_day=day,
            opens_at=window.opens_at(day),
            closes_at=window.closes_at(day),
            created_at=now,
            image_keys=check_image_keys(image_keys),
            extended_bidding=extended_bidding,
        )

    @property
    def price(self) -> int:
        """What the lot stands at: the last accepted bid, else the start price."""
        return self.current_price if self.current_price is not None else self.terms.start_price

    def _require(self, *allowed: LotStatus, action: str) -> None:
        if self.status not in allowed:
            raise LotStateConflict(f"Cannot {action} a lot that is {self.status.value}.")

    def _require_scheduled(self, action: str) -> None:
        if self.status is not LotStatus.SCHEDULED:
            raise LotLocked(f"Only a scheduled lot can be {action}; this one is {self.status.value}.")

    def edit(
        self,
        *,
        listing: Listing | None = None,
        terms: LotTerms | None = None,
        image_keys: tuple[str, ...] | None = None,
        extended_bidding: bool | None = None,
        now: datetime,
    ) -> None:
        self._require_scheduled("edited")
        if now >= self.opens_at:
            raise LotLocked("Bidding on this lot has begun; it can no longer be edited.")
        if listing is not None:
            self.listing = listing
        if terms is not None:
            self.terms = terms
        if image_keys is not None:
            self.image_keys = check_image_keys(image_keys)
        if extended_bidding is not None:
            self.extended_bidding = extended_bidding

    def withdraw(self, *, now: datetime) -> None:
        self._require_scheduled("withdrawn")
        if now >= self.opens_at:
            raise LotLocked("Bidding on this lot has begun; it can no longer be withdrawn.")
        self.status = LotStatus.WITHDRAWN

    def open(self) -> None:
        self._require(LotStatus.SCHEDULED, action="open")
        self.status = LotStatus.OPEN

    def record_bid(self, *, price: int, bid_count: int, closes_at: datetime | None = None) -> bool:
        """Copy the bid gate's accepted state; stale (out-of-order) reports change nothing."""
        if bid_count <= self.bid_count:
            return False
        self.current_price, self.bid_count = price, bid_count
        if closes_at is not None and closes_at > self.closes_at:
            self.closes_at = closes_at
        return True

    def close(self, *, has_winner: bool) -> None:
        self._require(LotStatus.OPEN, action="close")
        self.status = LotStatus.SOLD if has_winner else LotStatus.UNSOLD

    def mark_paid(self) -> None:
        self._require(LotStatus.SOLD, action="mark as paid")
        self.status = LotStatus.PAID

    def lapse(self) -> None:
        """The winner let the payment deadline pass: the lot is unsold after all."""
        self._require(LotStatus.SOLD, action="lapse")
        self.status = LotStatus.UNSOLD

    def relist(self, day: date, *, now: datetime, window: AuctionWindow) -> None:
        self._require(LotStatus.UNSOLD, action="relist")
        self.auction_day = window.check_listable(day, now)
        self.opens_at, self.closes_at = window.opens_at(day), window.closes_at(day)
        self.current_price, self.bid_count = None, 0
        self.status = LotStatus.SCHEDULED
