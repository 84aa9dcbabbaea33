"""``GET /sse/v1/lots/{id}/events``: a snapshot, then the lot's events in gate order, with replay.

Each connection reads from its own bounded queue fed by the process's one follower (the hub), so a
slow client costs at most its queue; when it overflows the stream ends and the client reconnects
with ``Last-Event-ID`` to replay from the lot's event log.

The hub renders each event to its SSE frame once per process (``frame``, with Litestar's own
message encoder), and every connection writes those same bytes: with thousands of connections on a
lot, encoding per connection was most of the cost of a bid. Hence a plain ``Stream`` of ready
frames rather than ``ServerSentEvent``, which encodes every message of every connection again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import PathParameter
from litestar.response import ServerSentEventMessage, Stream

from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.kernel.errors import NotFound
from sagopalgo.platform.http.problems import problem_responses
from sagopalgo.realtime.application.hub import Dropped, LotEventHub
from sagopalgo.realtime.contract import LotEvent
from sagopalgo.realtime.ports import LotEventLog

__all__ = ["HEARTBEAT_SECONDS", "frame", "lot_events"]

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2_000
_encode = msgspec.json.Encoder()
KEEP_ALIVE = ServerSentEventMessage(comment="keep-alive").encode()


def _instant(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(SEOUL).isoformat()


def render(event: LotEvent) -> bytes:
    """API.md's payloads: instants as RFC 3339 in +09:00 (the log keeps epoch milliseconds)."""
    data = dict(event.data)
    for field in ("placedAtMs", "closesAtMs"):
        if field in data:
            data[field.removesuffix("Ms")] = _instant(int(data.pop(field)))
    return _encode.encode(data)


def frame(event: LotEvent) -> bytes:
    """The event as it goes on the wire (the hub calls this once per event per process)."""
    return ServerSentEventMessage(event=event.type, data=render(event).decode(), id=event.id).encode()


async def snapshot(request: Request[Any, Any, Any], lot_id: int, at: str | None) -> dict[str, Any]:
    """The lot as of event ``at`` (its start before any event), so what follows never goes back."""
    async with SqlCatalogUnitOfWork(request.app.state.sessions) as uow:
        view = await uow.lots.view(lot_id)
    if view is None or view.status == "WITHDRAWN":
        raise NotFound("No such lot.")
    price, count, closes_ms = view.start_price, 0, int(view.closes_at.timestamp() * 1000)
    log: LotEventLog = request.app.state.events
    recent = await log.until(lot_id, at, 1_000) if at else []
    bids = [e for e in recent if e.type == "bid"]
    if bids:
        price, count = int(bids[0].data["amount"]), int(bids[0].data["bidCount"])
    if not bids and view.bid_count > 0:  # the event log was trimmed or lost; the database knows better
        price, count = view.price, view.bid_count
    moved = [int(e.data["closesAtMs"]) for e in recent if "closesAtMs" in e.data]
    if moved:
        closes_ms = max(closes_ms, *moved)
    return {
        "lotId": lot_id,
        "status": view.status.value,
        "currentPrice": price,
        "bidCount": count,
        "closesAt": _instant(closes_ms),
    }


@get(
    "/sse/v1/lots/{lot_id:int}/events",
    summary="Live events of one lot (snapshot, bid, status), replayed from Last-Event-ID",
    media_type="text/event-stream",
    responses=problem_responses(404),
)
async def lot_events(
    request: Request[Any, Any, Any], lot_id: Annotated[int, PathParameter(ge=1, le=2**63 - 1)]
) -> Stream:
    hub: LotEventHub[bytes] = request.app.state.hub
    log: LotEventLog = request.app.state.events
    position = request.headers.get("last-event-id") or await log.last_id(lot_id)
    first = await snapshot(request, lot_id, position)
    sub = await hub.subscribe(lot_id, position or "0-0")

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield ServerSentEventMessage(
                event="snapshot", data=_encode.encode(first).decode(), id=position, retry=RETRY_MS
            ).encode()
            while True:
                try:
                    item = await sub.next()
                except Dropped:
                    return
                if item is None:
                    yield KEEP_ALIVE
                elif more := sub.pending():  # fell behind a little: one write for all of it
                    yield b"".join((item, *more))
                else:
                    yield item
        finally:
            await hub.unsubscribe(sub)

    return Stream(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"},
    )
