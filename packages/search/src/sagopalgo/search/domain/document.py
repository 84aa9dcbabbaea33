"""The search index's copy of a lot: what it filters, sorts and answers with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["LotDoc"]


@dataclass(frozen=True, slots=True)
class LotDoc:
    """A lot as the index holds it, stamped with the catalog's version of it.

    The index keeps, per lot, the document with the highest ``version`` it was given: a copy read
    before a later change can arrive after it (two processes, a retry) without undoing it.
    ``listed`` is ``False`` for a withdrawn lot, which stays in the index as a tombstone carrying
    its version, so that an older copy arriving late cannot bring it back.
    """

    id: int
    version: int
    title: str
    description: str
    category_id: int
    seller_id: int
    seller_username: str
    image_keys: tuple[str, ...]
    start_price: int
    bid_increment: int
    current_price: int | None
    """The last accepted bid, ``None`` before the first."""
    bid_count: int
    auction_day: date
    opens_at: datetime
    closes_at: datetime
    extended_bidding: bool
    status: str
    created_at: datetime
    listed: bool = True

    @property
    def price(self) -> int:
        """What the lot stands at: filters and price sorts use this."""
        return self.current_price if self.current_price is not None else self.start_price

    @property
    def minimum_next_bid(self) -> int:
        return self.start_price if self.current_price is None else self.current_price + self.bid_increment
