"""The stream's events as a client receives them, and as the OpenAPI document describes them.

An event is ``{event, data, id, retry}`` (how OpenAPI 3.2, and schemathesis for 3.1, read a
``text/event-stream`` schema: one schema per event); ``data`` is JSON whose own schema is carried as
``contentMediaType``/``contentSchema``, so a client generator and a contract test see each payload,
not just "a string".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from sagopalgo.catalog.contract import LotStatus

__all__ = ["EVENTS", "BidData", "SnapshotData", "StatusData"]

Instant = Annotated[datetime, msgspec.Meta(tz=True)]
"""RFC 3339 with its offset (``+09:00``): the schema says ``date-time``."""


class SnapshotData(msgspec.Struct, rename="camel"):
    """The lot as of the event the stream continues from (so what follows never goes back)."""

    lot_id: int
    status: LotStatus
    current_price: int
    bid_count: int
    closes_at: Instant


class BidData(msgspec.Struct, rename="camel"):
    lot_id: int
    amount: int
    bid_count: int
    placed_at: Instant
    bidder: str
    """The bidder's alias on this lot ("Bidder 3"), never an account id."""


class StatusData(msgspec.Struct, rename="camel"):
    lot_id: int
    status: LotStatus
    closes_at: Instant
    reason: Literal["extended", "relisted"] | msgspec.UnsetType = msgspec.UNSET
    """``extended``: a late bid moved the close (the lot stays OPEN). ``relisted``: the unsold lot
    was listed for another day (``SCHEDULED``); a new auction begins, and bid counts start again."""


def _standalone(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """The struct's JSON schema with its ``$defs`` inlined: a ``contentSchema`` has no components."""
    root = msgspec.json.schema(struct)
    defs = root.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                return inline(defs[ref.rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    schema: dict[str, Any] = inline(root)
    return schema


def _json(struct: type[msgspec.Struct]) -> Any:
    """A ``data`` field: a string of JSON in the shape of ``struct``."""
    extra = {"content_media_type": "application/json", "content_schema": _standalone(struct)}
    return Annotated[str, msgspec.Meta(extra_json_schema={"extra": extra})]


class SnapshotEvent(msgspec.Struct):
    """First on every connection; ``retry`` is the reconnect delay in milliseconds."""

    event: Literal["snapshot"]
    data: _json(SnapshotData)  # type: ignore[valid-type]
    retry: int
    id: str = ""
    """The event the snapshot is as of; absent while the lot has no event yet."""


class BidEvent(msgspec.Struct):
    event: Literal["bid"]
    data: _json(BidData)  # type: ignore[valid-type]
    id: str


class StatusEvent(msgspec.Struct):
    """A move of the lot's status; after ``WITHDRAWN`` the stream ends (the lot is gone: a 404)."""

    event: Literal["status"]
    data: _json(StatusData)  # type: ignore[valid-type]
    id: str


EVENTS: Any = SnapshotEvent | BidEvent | StatusEvent
"""One event of the stream (heartbeats are comments, not events); a type for the OpenAPI document."""
