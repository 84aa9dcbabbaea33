"""The auction day's EventBridge Scheduler runs, as cron expressions in Asia/Seoul.

Three transitions, one Lambda (``sagopalgo.scheduler.handler``):

- ``open`` once at the opening time;
- ``close`` every minute from the closing time to one minute past the hard cap, because a lot in
  extended bidding closes at its own time, up to the cap; a run with nothing due does nothing, and
  the extra minute covers a lot closing exactly at the cap should that run start a moment early;
- ``expire`` hourly, at minute 45 (clear of the close window by default): it settles payments left
  ``CONFIRMING`` and lapses awards whose payment deadline has passed; an award expires at most an
  hour late, and it is refused at the deadline by the payment itself regardless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["EXPIRE_MINUTE", "TIMEZONE", "ScheduledRun", "day_runs"]

TIMEZONE = "Asia/Seoul"
EXPIRE_MINUTE = 45


@dataclass(frozen=True)
class ScheduledRun:
    name: str
    """Unique among the stack's schedules: ``open``, ``close-0``…, ``expire``."""
    transition: str
    cron: str
    """An EventBridge Scheduler ``cron(...)`` expression, read in ``TIMEZONE``."""


def _clock(hhmm: str) -> datetime:
    return datetime.strptime(hhmm, "%H:%M")  # a time of day on no date; its zone is TIMEZONE


def _minutes(first: datetime, last: datetime) -> list[str]:
    """Cron expressions firing every minute from ``first`` to ``last``, one per hour spanned."""
    crons = []
    start = first
    while start <= last:
        end = min(last, start.replace(minute=59))
        minutes = str(start.minute) if start == end else f"{start.minute}-{end.minute}"
        crons.append(f"cron({minutes} {start.hour} * * ? *)")
        start = end.replace(minute=0) + timedelta(hours=1) if end.minute == 59 else end + timedelta(minutes=1)
    return crons


def day_runs(opens: str, closes: str, hard_cap: str) -> list[ScheduledRun]:
    """The schedules for a day that opens, closes and caps extended bidding at these times."""
    opening, closing, cap = _clock(opens), _clock(closes), _clock(hard_cap)
    if not opening < closing <= cap:
        raise ValueError("the auction must open before it closes, and close no later than its hard cap")
    last_close = min(cap + timedelta(minutes=1), closing.replace(hour=23, minute=59))
    closes_at = _minutes(closing, last_close)
    return [
        ScheduledRun("open", "open", f"cron({opening.minute} {opening.hour} * * ? *)"),
        *(ScheduledRun(f"close-{i}", "close", cron) for i, cron in enumerate(closes_at)),
        ScheduledRun("expire", "expire", f"cron({EXPIRE_MINUTE} * * * ? *)"),
    ]
