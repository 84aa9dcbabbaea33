"""Time as a port: every "now" in Sagopalgo comes from a ``Clock`` so tests can stand at any moment.

Times are timezone-aware and kept in UTC; the auction schedule is computed in Asia/Seoul
(``SEOUL``), whatever the server's own zone is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["SEOUL", "Clock", "ManualClock", "SystemClock", "ensure_aware"]

SEOUL = ZoneInfo("Asia/Seoul")


class Clock(Protocol):
    """Source of the current instant; implementations return aware UTC datetimes."""

    def now(self) -> datetime:
        """Return the current instant as an aware datetime in UTC."""
        ...


class SystemClock:
    """The wall clock, for production."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: tests and simulations set it to any instant."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_aware(start).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = ensure_aware(instant).astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def ensure_aware(instant: datetime) -> datetime:
    """Refuse naive datetimes: a time without a zone is a bug waiting for a server in another zone."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: Sagopalgo only handles timezone-aware instants")
    return instant
