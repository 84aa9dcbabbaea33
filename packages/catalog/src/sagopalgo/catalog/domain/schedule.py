"""The auction day, computed in Asia/Seoul whatever the server's zone (the original used UTC).

Every lot listed for a day opens at ``opens`` and closes at ``closes`` KST that day; extended
bidding may move a lot's close, never past ``hard_cap``. Instants are returned in UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time

from sagopalgo.kernel.clock import SEOUL, ensure_aware
from sagopalgo.kernel.errors import Invalid

__all__ = ["AuctionWindow", "DayPhase"]


class DayPhase(enum.StrEnum):
    """What the main page shows at a moment of the KST day."""

    UPCOMING = "UPCOMING"  # 00:00-09:00: today's lots still to come
    OPEN = "OPEN"  # 09:00-18:00: today's open lots
    CLOSED = "CLOSED"  # 18:00-24:00: today's closed lots


@dataclass(frozen=True, slots=True)
class AuctionWindow:
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    hard_cap: time = time(18, 30)

    def __post_init__(self) -> None:
        if not self.opens < self.closes <= self.hard_cap:
            raise ValueError("the window must open before it closes, and close no later than its hard cap")

    def opens_at(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, SEOUL)

    def closes_at(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, SEOUL)

    def hard_cap_at(self, day: date) -> datetime:
        return datetime.combine(day, self.hard_cap, SEOUL)

    @staticmethod
    def seoul_day(instant: datetime) -> date:
        """The calendar day in Korea at ``instant``."""
        return ensure_aware(instant).astimezone(SEOUL).date()

    def phase(self, instant: datetime) -> tuple[date, DayPhase]:
        """Today's date in Korea and the main page's phase at ``instant``."""
        local = ensure_aware(instant).astimezone(SEOUL)
        if local.time() < self.opens:
            return local.date(), DayPhase.UPCOMING
        if local.time() < self.closes:
            return local.date(), DayPhase.OPEN
        return local.date(), DayPhase.CLOSED

    def check_listable(self, day: date, now: datetime) -> date:
        """A lot may be listed (or relisted) for ``day`` only while that day's opening is ahead."""
        if self.opens_at(day) <= ensure_aware(now):
            raise Invalid(
                f"Bidding for {day.isoformat()} has already opened; choose a later day.", field="auctionDay"
            )
        return day
