"""``GET /sse/v1/lots/{id}/events``: a snapshot, then the lot's events in gate order, with replay.

A withdrawn lot is hidden like any unknown one: a new connection is a 404, with or without a
``Last-Event-ID``. Connections open when it was withdrawn get its ``WITHDRAWN`` status event, and
then their stream ends, since no event can follow it; a browser's reconnect then meets the 404 and
stops. A relisted lot starts a new auction on the same stream: a snapshot counts only bids placed
since the lot's current opening.

Each connection reads from its own bounded queue fed by the process's one follower (the hub), so a
slow client costs at most its queue; when it overflows the stream ends and the client reconnects
with ``Last-Event-ID`` to replay from the lot's event log.

The hub renders each event to its SSE frame once per process (``frame``, with Litestar's own
message encoder), and every connection writes those same bytes: with thousands of connections on a
lot, encoding per connection (as ``ServerSentEvent`` does) was most of the cost of a bid.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, PathParameter
from litestar.response import ServerSentEventMessage
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.catalog.contract import LotStatus
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.kernel.errors import Invalid, NotFound, RateLimited
from sagopalgo.platform.http.problems import problem_responses
from sagopalgo.platform.ratelimit import ConcurrencyLimiter, client_address, rate_limit_guard
from sagopalgo.realtime.application.hub import Dropped, LotEventHub, Subscription
from sagopalgo.realtime.contract import EVENT_ID_PATTERN, LotEvent, is_event_id
from sagopalgo.realtime.ports import LotEventLog
from sagopalgo.sse.direct import DirectSink, transport_of
from sagopalgo.sse.wire import EVENTS

__all__ = [
    "HEARTBEAT_SECONDS",
    "LiveEvents",
    "Snapshots",
    "StreamsOut",
    "final",
    "frame",
    "lot_events",
    "streams_health",
]

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2_000
_encode = msgspec.json.Encoder()
KEEP_ALIVE = b": keep-alive\r\n\r\n"
"""A comment and nothing else. Litestar's ``ServerSentEventMessage(comment=...)`` adds an empty
``data:`` line, which makes a browser dispatch an empty ``message`` event on every heartbeat and
a hand-written parser read the heartbeat as the last event's data (``tests/e2e/test_sse_direct``
failed on it whenever a heartbeat fell inside its run)."""
_SHORT_READ, _LONG_READ = 20, 1_000
STREAMS_RETRY_S = 10
"""``Retry-After`` of a refusal for too many open streams: there is no window, one has to close."""
DIRECT_BUFFER_LIMIT = 256 * 1024
"""Bytes a connection may have unsent before it counts as fallen behind (~1,000 bid events)."""


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


def final(event: LotEvent) -> bool:
    """Nothing can follow this event on its lot's stream: the lot was withdrawn (its last move)."""
    return event.type == "status" and event.data.get("status") == LotStatus.WITHDRAWN.value


async def _recent(log: LotEventLog, lot_id: int, at: str) -> list[LotEvent]:
    """Events up to ``at``, newest first, back to the newest bid (or as far as the log goes).

    That is all a snapshot needs: the newest bid carries price and count (unless it was placed in
    an earlier auction of a relisted lot, and then no bid of this one is in the log), and a closing
    time only moves forward, so nothing older can carry a later one. A short read almost always
    reaches a bid; the long one is for a lot whose last bid lies behind many status events.
    """
    for limit in (_SHORT_READ, _LONG_READ):
        recent = await log.until(lot_id, at, limit)
        if len(recent) < limit or any(e.type == "bid" for e in recent):
            break
    return recent


async def snapshot(request: Request[Any, Any, Any], lot_id: int, at: str | None) -> dict[str, Any]:
    """The lot as of event ``at`` (its start before any event), so what follows never goes back."""
    async with SqlCatalogUnitOfWork(request.app.state.sessions) as uow:
        view = await uow.lots.view(lot_id)
    if view is None or view.status is LotStatus.WITHDRAWN:
        raise NotFound("No such lot.")
    price, count, closes_ms = view.start_price, 0, int(view.closes_at.timestamp() * 1000)
    log: LotEventLog = request.app.state.events
    recent = await _recent(log, lot_id, at) if at else []
    opens_ms = int(view.opens_at.timestamp() * 1000)
    newest = next((e for e in recent if e.type == "bid"), None)
    if newest is not None and int(newest.data["placedAtMs"]) < opens_ms:
        newest = None  # a bid of the lot's earlier auction: this one (relisted) has none in the log
    if newest is not None:
        price, count = int(newest.data["amount"]), int(newest.data["bidCount"])
    elif view.bid_count > 0:  # the event log was trimmed or lost; the database knows better
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


class Snapshots:
    """The encoded snapshot frame per (lot, event position), shared by the connections that ask.

    A popular lot gets thousands of connections within seconds (a closing minute, a reconnect
    storm after a deploy), nearly all at the same newest event. Each used to cost a database query
    and a log read on this process's one loop; now the first one at a position computes the frame
    and the others wait for it. A frame is kept at most ``ttl_s`` — a lot's status and closing
    time move with events (a new position, so a new key), so the TTL only bounds how long an edit
    that sends no event could go unseen.
    """

    def __init__(self, ttl_s: float = 1.0, keep: int = 1_024) -> None:
        self._ttl_s, self._keep = ttl_s, keep
        self._frames: dict[tuple[int, str], tuple[float, asyncio.Future[bytes]]] = {}

    async def frame(self, key: tuple[int, str], build: Callable[[], Coroutine[Any, Any, bytes]]) -> bytes:
        now = time.monotonic()
        held = self._frames.get(key)
        if held is None or held[0] <= now:
            if len(self._frames) >= self._keep:
                self._frames = {k: v for k, v in self._frames.items() if v[0] > now}
                if len(self._frames) >= self._keep:
                    self._frames.clear()
            future = asyncio.ensure_future(build())
            future.add_done_callback(lambda done: self._settled(key, done))
            held = (now + self._ttl_s, future)
            self._frames[key] = held
        return await asyncio.shield(held[1])

    def _settled(self, key: tuple[int, str], done: asyncio.Future[bytes]) -> None:
        if done.cancelled() or done.exception() is not None:  # a failure (a 404 too) is not kept
            held = self._frames.get(key)
            if held is not None and held[1] is done:
                del self._frames[key]


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class LiveEvents(ASGIResponse):
    """One connection's stream: the snapshot, then the hub's frames until the client leaves.

    A client that falls behind is dropped: the stream ends and it reconnects with Last-Event-ID.
    Litestar's ``Stream`` runs each connection in an anyio task group with a second task, and pulls
    through an async generator: ~4 KiB per connection and a few more hops per event, which at
    10,000 connections on one lot is the difference bench/sse.py measures. This is the documented
    extension point instead (``send_body``): the request's own task writes the frames, one small
    task watches for the client leaving, and the hub's subscription is the only queue.
    """

    __slots__ = ("_address", "_hub", "_snapshot", "_streams", "_sub", "_transport")
    _should_set_content_length = False

    def __init__(
        self,
        hub: LotEventHub[bytes],
        sub: Subscription[bytes],
        snapshot: bytes,
        streams: ConcurrencyLimiter | None = None,
        address: str = "",
    ) -> None:
        """Hold the stream's frames; ``streams``/``address`` name the open-stream slot freed at its end.

        Two references rather than a closure: at 10,000 connections a closure each was ~2 MiB.
        """
        super().__init__(
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"},
        )
        self._hub, self._sub, self._snapshot = hub, sub, snapshot
        self._streams, self._address = streams, address
        self._transport: asyncio.Transport | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._transport = transport_of(scope)
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self._streams is not None:
                self._streams.release(self._address)
            await self._hub.unsubscribe(self._sub)

    async def send_body(self, send: Send, receive: Receive) -> None:
        sub = self._sub
        await send({"type": "http.response.body", "body": self._snapshot, "more_body": True})
        if self._transport is not None:
            # From here on the hub writes (see ``direct``); this task only waits for the end: the
            # client leaving, being cut off for falling behind (the sink aborts the transport), or
            # the stream's last event written (the sink ends the body and closes the connection).
            # No second task per connection: at 10,000 connections that was ~0.6 KiB each.
            sink = DirectSink(self._transport, KEEP_ALIVE, DIRECT_BUFFER_LIMIT)
            sub.attach(sink, sink.end)
            try:
                await _disconnected(receive)
            finally:
                sub.close()
        else:
            await self._relay(sub, send, receive)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _relay(sub: Subscription[bytes], send: Send, receive: Receive) -> None:
        """Where the transport is not known: the subscription's queue, written through ASGI ``send``."""
        watcher = asyncio.ensure_future(_disconnected(receive))
        watcher.add_done_callback(lambda _: sub.close())
        try:
            while True:
                try:
                    item = await sub.next()
                except Dropped:
                    break
                if item is None:
                    item = KEEP_ALIVE
                elif more := sub.pending():  # fell behind a little: one write for all of it
                    item = b"".join((item, *more))
                await send({"type": "http.response.body", "body": item, "more_body": True})
        finally:
            watcher.cancel()


@get(
    "/sse/v1/lots/{lot_id:int}/events",
    summary="Live events of one lot (snapshot, bid, status), replayed from Last-Event-ID",
    media_type="text/event-stream",
    responses={
        200: ResponseSpec(
            data_container=EVENTS,
            description="An event stream: snapshot, then bid and status events, and heartbeats",
            media_type="text/event-stream",
            generate_examples=False,
        ),
        **problem_responses(400, 404, 429),
    },
    guards=[rate_limit_guard("sse", "sse_rate_limit_per_minute")],
)
async def lot_events(
    request: Request[Any, Any, Any],
    lot_id: Annotated[int, PathParameter(ge=1, le=2**63 - 1)],
    last_event_id: Annotated[
        str | None,
        HeaderParameter(
            name="Last-Event-ID",
            pattern=EVENT_ID_PATTERN,
            description="The id of the last event received: the stream replays what came after it",
        ),
    ] = None,
) -> LiveEvents:
    # Anything else reached the log as a position: a 500 in process, a Redis error on Redis.
    if last_event_id is not None and not is_event_id(last_event_id):
        raise Invalid("Last-Event-ID is not an event id of this stream.", field="Last-Event-ID")
    state = request.app.state
    # The guard counted this connection; here the ones this address holds open on this process.
    address, open_streams = client_address(request), state.open_streams
    if not open_streams.acquire(address, state.settings.sse_streams_per_client):
        raise RateLimited("Too many open streams from this address; close one.", retry_after=STREAMS_RETRY_S)
    try:
        return await _live(request, lot_id, last_event_id, open_streams, address)
    except BaseException:
        open_streams.release(address)
        raise


async def _live(
    request: Request[Any, Any, Any],
    lot_id: int,
    last_event_id: str | None,
    streams: ConcurrencyLimiter,
    address: str,
) -> LiveEvents:
    hub: LotEventHub[bytes] = request.app.state.hub
    log: LotEventLog = request.app.state.events
    position = last_event_id or await log.last_id(lot_id)

    async def build() -> bytes:
        return ServerSentEventMessage(
            event="snapshot",
            data=_encode.encode(await snapshot(request, lot_id, position)).decode(),
            id=position,
            retry=RETRY_MS,
        ).encode()

    snapshots: Snapshots = request.app.state.snapshots
    first = await snapshots.frame((lot_id, position or ""), build)
    return LiveEvents(hub, await hub.subscribe(lot_id, position or "0-0"), first, streams, address)


class StreamsOut(msgspec.Struct, rename="camel"):
    connections: int
    """Open event streams on this process (what the SSE service scales on)."""
    direct: int
    """Of those, the ones the fan-out writes to directly (``sagopalgo.sse.direct``)."""


@get(
    "/health/streams",
    summary="This process's open event streams",
    tags=["operations"],
    sync_to_thread=False,
)
def streams_health(request: Request[Any, Any, Any]) -> StreamsOut:
    hub: LotEventHub[bytes] = request.app.state.hub
    return StreamsOut(hub.connections, hub.attached)
