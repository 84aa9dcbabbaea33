"""What the catalog publishes to other contexts: a lot's status, its read model and its changes.

Bidding, payments and search learn about lots through these types (and the catalog service that
the composition hands them), never through the catalog's tables or domain objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["CategoryView", "LotChanged", "LotStatus", "LotTransition", "LotView"]


class LotStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    OPEN = "OPEN"
    SOLD = "SOLD"
    UNSOLD = "UNSOLD"
    PAID = "PAID"
    WITHDRAWN = "WITHDRAWN"


@dataclass(frozen=True, slots=True)
class CategoryView:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class LotView:
    """A lot as readers see it (the detail cache holds these, so every field is plain data)."""

    id: int
    title: str
    description: str
    category: CategoryView
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
    status: LotStatus
    created_at: datetime
    version: int = 0
    """Bumped by every stored change of the lot: copies elsewhere (the search index) keep the newest."""

    @property
    def price(self) -> int:
        return self.current_price if self.current_price is not None else self.start_price

    @property
    def minimum_next_bid(self) -> int:
        if self.current_price is None:
            return self.start_price
        return self.current_price + self.bid_increment


@dataclass(frozen=True, slots=True)
class LotChanged:
    """A lot's stored state changed (listed, edited, withdrawn, relisted, a bid copied, a status move).

    Published after the change committed. ``version`` is the lot's version after it; a listener
    that reads the lot later may find a newer one, never an older one.
    """

    lot_id: int
    version: int
    reason: str
    """``listed``, ``edited``, ``withdrawn``, ``relisted``, ``bid`` or ``status``: for logs and tests."""


@dataclass(frozen=True, slots=True)
class LotTransition:
    """One status a lot took, when, and who moved it (``None``: the auction day's schedule)."""

    status: LotStatus
    at: datetime
    actor_id: int | None
