"""The event envelope every context publishes and the SSE service relays.

A lot's events form one ordered log; an event's ``id`` is strictly increasing within its lot and is
what SSE clients send back as ``Last-Event-ID``. On Redis the log is a stream per lot (entry id =
event id), written by the bid gate's Lua script in the same atomic step that accepts a bid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_DATA",
    "EVENT_ID_PATTERN",
    "EVENT_TYPE",
    "RETAINED_EVENTS",
    "LotEvent",
    "event_order",
    "is_event_id",
    "lot_stream_key",
]

EVENT_TYPE = "t"
EVENT_DATA = "d"
RETAINED_EVENTS = 100_000
"""Events kept per lot: far more than a day's bids on one lot, so a reconnect can always replay."""


@dataclass(frozen=True, slots=True)
class LotEvent:
    lot_id: int
    id: str
    type: str
    """``bid`` or ``status``."""
    data: Mapping[str, Any]
    """JSON-ready; instants are epoch milliseconds in fields ending ``Ms``."""


def lot_stream_key(prefix: str, lot_id: int) -> str:
    return f"{prefix}events:lot:{lot_id}"


EVENT_ID_PATTERN = "^[0-9]{1,20}-[0-9]{1,20}$"
"""What an event id looks like on the wire (a Redis stream id, ``ms-seq``)."""
_EVENT_ID = re.compile(EVENT_ID_PATTERN)
_ID_PART_MAX = 2**64 - 1


def is_event_id(text: str) -> bool:
    """Whether ``text`` could be an event id; a client's ``Last-Event-ID`` must be before a log reads it."""
    if not _EVENT_ID.match(text):
        return False
    head, _, tail = text.partition("-")
    return int(head) <= _ID_PART_MAX and int(tail) <= _ID_PART_MAX


def event_order(event_id: str) -> tuple[int, int]:
    """Ids look like Redis stream ids (``ms-seq``); compare them as number pairs, never as text."""
    head, _, tail = event_id.partition("-")
    return int(head), int(tail or 0)
