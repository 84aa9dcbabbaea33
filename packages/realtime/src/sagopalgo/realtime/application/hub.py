"""Fan-out: one follower per process feeds every connection's bounded queue.

The follower reads the event log for every lot that has listeners and copies each event into the
queue of each of that lot's connections.

A connection that falls behind (its queue is full) is dropped rather than buffered without bound;
its client reconnects with ``Last-Event-ID`` and replays from the log. Every delivery compares the
event id with the connection's last one, so replay and live delivery can overlap without a
duplicate, and one lock orders them so neither can leave a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sagopalgo.realtime.contract import LotEvent, event_order
from sagopalgo.realtime.ports import LotEventLog

__all__ = ["Dropped", "LotEventHub", "Subscription"]

_log = logging.getLogger("sagopalgo.realtime")
_REPLAY_LIMIT = 10_000


class Dropped(Exception):
    """The connection fell too far behind; the client should reconnect and replay."""


class Subscription:
    def __init__(self, lot_id: int, last_seen: str, queue_size: int) -> None:
        self.lot_id = lot_id
        self.last_seen = last_seen
        self._queue: asyncio.Queue[LotEvent] = asyncio.Queue(maxsize=queue_size)
        self._dropped = asyncio.Event()

    def offer(self, event: LotEvent) -> None:
        if self._dropped.is_set() or event_order(event.id) <= event_order(self.last_seen):
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._dropped.set()
            return
        self.last_seen = event.id

    async def next(self, quiet_s: float) -> LotEvent | None:
        """The next event, ``None`` after ``quiet_s`` seconds of quiet; ``Dropped`` if it overflowed."""
        if not self._queue.empty():
            return self._queue.get_nowait()
        if self._dropped.is_set():
            raise Dropped
        getter = asyncio.ensure_future(self._queue.get())
        dropped = asyncio.ensure_future(self._dropped.wait())
        done, _ = await asyncio.wait({getter, dropped}, timeout=quiet_s, return_when=asyncio.FIRST_COMPLETED)
        dropped.cancel()
        if getter in done:
            return getter.result()
        getter.cancel()
        if dropped in done:
            raise Dropped
        return None


class LotEventHub:
    def __init__(self, log: LotEventLog, *, queue_size: int = 1_000, block_ms: int = 250) -> None:
        self._log, self._queue_size, self._block_ms = log, queue_size, block_ms
        self._subs: dict[int, set[Subscription]] = {}
        self._positions: dict[int, str] = {}
        self._lock = asyncio.Lock()
        self._follower: asyncio.Task[None] | None = None

    @property
    def connections(self) -> int:
        return sum(len(s) for s in self._subs.values())

    async def subscribe(self, lot_id: int, last_event_id: str | None) -> Subscription:
        """Replay what the client missed after ``last_event_id`` (nothing if ``None``), then follow."""
        async with self._lock:
            start = last_event_id or (await self._log.last_id(lot_id)) or "0-0"
            sub = Subscription(lot_id, start, self._queue_size)
            if last_event_id:
                for event in await self._log.since(lot_id, last_event_id, _REPLAY_LIMIT):
                    sub.offer(event)
            self._subs.setdefault(lot_id, set()).add(sub)
            current = self._positions.get(lot_id)
            if current is None or event_order(sub.last_seen) < event_order(current):
                self._positions[lot_id] = sub.last_seen
        if self._follower is None or self._follower.done():
            self._follower = asyncio.create_task(self._follow(), name="lot-event-follower")
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        async with self._lock:
            subs = self._subs.get(sub.lot_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.lot_id]
                    self._positions.pop(sub.lot_id, None)

    async def close(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower

    async def _follow(self) -> None:
        while self._subs:
            try:
                events = await self._log.wait(dict(self._positions), self._block_ms)
            except asyncio.CancelledError:
                raise
            except Exception:  # the log's server blinked: keep the connections, try again shortly
                _log.warning("event log read failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if not events:
                continue
            async with self._lock:
                for event in events:
                    if event.lot_id in self._positions and event_order(event.id) > event_order(
                        self._positions[event.lot_id]
                    ):
                        self._positions[event.lot_id] = event.id
                    for sub in list(self._subs.get(event.lot_id, ())):
                        sub.offer(event)
