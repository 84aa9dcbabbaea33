"""What bidding publishes: the live price of a lot, for lot reads and the SSE snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["LivePrice"]


@dataclass(frozen=True, slots=True)
class LivePrice:
    lot_id: int
    current_price: int | None
    """The last accepted bid; ``None`` before the first."""
    bid_count: int
    minimum_next_bid: int
    closes_at: datetime
    open: bool
