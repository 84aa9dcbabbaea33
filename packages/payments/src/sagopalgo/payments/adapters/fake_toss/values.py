"""The fake's value types: scripted faults, the request log, checkout results, its clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sagopalgo.kernel.clock import Clock, ensure_aware

__all__ = ["Authenticated", "CheckoutFailure", "Fault", "Hold", "RecordedRequest", "ShiftableClock", "Stored"]


@dataclass(slots=True)
class Fault:
    """A scripted misbehaviour for the next ``times`` matching API requests (``None``: all of them).

    ``code`` answers that Toss error code; ``delay`` (seconds) or ``hold`` (until ``release_held``)
    pause the request at ``stage``: ``network`` (before Toss sees it: abandoned when the client
    hangs up) or ``processing`` (Toss at work: the idempotency key stays in flight, whatever the
    client does). ``method`` and ``path`` (a prefix) narrow which requests match.
    """

    code: str | None = None
    delay: float = 0.0
    hold: bool = False
    stage: Literal["network", "processing"] = "processing"
    times: int | None = 1
    method: str | None = None
    path: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


@dataclass(slots=True)
class RecordedRequest:
    """One API request as the fake saw it (never its Authorization header)."""

    method: str
    path: str
    idempotency_key: str | None
    test_code: str | None
    body: bytes
    status: int | None = None
    """The answer's status; ``None`` while in flight or when abandoned."""
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Authenticated:
    """What the success redirect carries after the buyer authenticated."""

    payment_key: str
    order_id: str
    amount: int
    success_query: str


@dataclass(frozen=True, slots=True)
class CheckoutFailure:
    """What the fail redirect carries (the buyer cancelled, the card company refused...)."""

    code: str
    message: str
    order_id: str
    fail_query: str


@dataclass(slots=True)
class Stored:
    status: int
    body: bytes
    first_at: datetime


@dataclass(slots=True)
class Hold:
    event: asyncio.Event
    loop: asyncio.AbstractEventLoop


class ShiftableClock:
    """The fake's "now": a base clock plus an offset that tests move (``advance``, ``set_now``)."""

    def __init__(self, base: Clock) -> None:
        self._base = base
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def advance(self, delta: timedelta) -> None:
        self._offset += delta

    def set(self, instant: datetime) -> None:
        self._offset = ensure_aware(instant) - self._base.now()
