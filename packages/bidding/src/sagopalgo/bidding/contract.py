"""What bidding publishes: a lot's live price (lot reads, the SSE snapshot) and its award (payments)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["AwardStatus", "AwardView", "DayRun", "LivePrice"]


@dataclass(frozen=True, slots=True)
class LivePrice:
    lot_id: int
    current_price: int | None
    """The last accepted bid; ``None`` before the first."""
    bid_count: int
    minimum_next_bid: int
    closes_at: datetime
    open: bool


class AwardStatus(enum.StrEnum):
    PAYMENT_DUE = "PAYMENT_DUE"
    PAID = "PAID"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class AwardView:
    id: int
    lot_id: int
    winner_id: int
    seller_id: int
    amount: int
    """The hammer price in KRW: what the winner pays."""
    closed_at: datetime
    pay_by: datetime
    status: AwardStatus
    paid_at: datetime | None


@dataclass(frozen=True, slots=True)
class DayRun:
    """One run of a day's transition, as the audit journal records it."""

    day: date
    transition: str
    """``open`` or ``close`` (or ``expire`` for lapsed awards)."""
    trigger: str
    """Who ran it: ``schedule``, ``lambda``, ``admin:<user id>``, ``startup``."""
    started_at: datetime
    finished_at: datetime
    changed: int
