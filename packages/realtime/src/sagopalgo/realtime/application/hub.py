"""Fan-out: one follower per process feeds every connection's bounded queue.

The follower reads the event log for every lot that has listeners, renders each event once (with
the ``render`` the service gives, e.g. to its wire format) and puts that same rendering into the
queue of each of the lot's connections. One heartbeat timer per hub, instead of a timer per
connection, ticks a fifteenth of the connections at a time, so each gets its heartbeat on time and
the writes are spread rather than all at once.

A connection that falls behind (its queue is full) is dropped rather than buffered without bound;
its client reconnects with ``Last-Event-ID`` and replays from the log. Every delivery compares the
event id with the connection's last one, so replay and live delivery can overlap without a
duplicate, and one lock orders them so neither can leave a gap.

An event the service calls ``final`` (a lot that was withdrawn will never have another) is
delivered and then ends each of the lot's connections, rather than leaving them open on a stream
that will stay silent for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from sagopalgo.realtime.contract import LotEvent, event_order
from sagopalgo.realtime.ports import LotEventLog

__all__ = ["Dropped", "LotEventHub", "Subscription"]

_log = logging.getLogger("sagopalgo.realtime")
_REPLAY_LIMIT = 10_000
_BEAT_SLICES = 15

T = TypeVar("T")


def _never(_event: LotEvent) -> bool:
    return False


class Dropped(Exception):
    """The subscription ended: it fell too far behind, its client left, or its lot's stream ended.

    A client that fell behind reconnects with ``Last-Event-ID`` and replays what it missed.
    """


class Subscription(Generic[T]):
    """One connection's bounded queue of rendered events: a short list and at most one waiter.

    Thousands of these live at once, so it is kept small (no ``asyncio.Queue``, whose three deques
    and event weigh ~2 KiB, and no timer of its own: the hub's heartbeat ticks all of them).
    """

    __slots__ = (
        "_dropped",
        "_end",
        "_items",
        "_last",
        "_limit",
        "_sink",
        "_tick",
        "_waiter",
        "beat_slot",
        "last_seen",
        "lot_id",
    )

    def __init__(self, lot_id: int, last_seen: str, queue_size: int, beat_slot: int = 0) -> None:
        self.lot_id = lot_id
        self.beat_slot = beat_slot
        self.last_seen = last_seen
        self._last = event_order(last_seen)
        self._items: list[T] = []
        self._limit = queue_size
        self._dropped = False
        self._tick = False
        self._waiter: asyncio.Future[None] | None = None
        self._sink: Callable[[T | None], bool] | None = None
        self._end: Callable[[], None] | None = None

    def attach(self, sink: Callable[[T | None], bool], end: Callable[[], None] | None = None) -> None:
        """Deliver through ``sink`` from now on, synchronously, beginning with what is queued.

        ``sink(item)`` writes an item (``None``: a heartbeat) and says whether the connection can
        take more; ``False`` drops the subscription. A fan-out then costs one call per connection
        instead of waking each connection's task, and ``next`` only waits for the end. ``end()``
        closes the connection in good order once the subscription has ended (its lot's final event
        was written, or it fell behind while still queueing): the client then reconnects.
        """
        items, self._items, self._tick = self._items, [], False
        for item in items:
            if not sink(item):
                self._drop()
                return
        if self._dropped:
            self._drop()
            if end is not None:
                end()
            return
        self._sink, self._end = sink, end

    @property
    def attached(self) -> bool:
        """Delivering through a sink (see ``attach``) rather than its queue."""
        return self._sink is not None

    def _drop(self) -> None:
        self._dropped, self._sink, self._end = True, None, None
        self._wake()

    def offer(
        self, event: LotEvent, item: T, order: tuple[int, int] | None = None, *, last: bool = False
    ) -> None:
        """Queue ``item`` (``event`` rendered) unless already delivered; drop the connection if full.

        ``last``: nothing follows this event on the lot's stream; the subscription ends after it.
        """
        order = order or event_order(event.id)
        if self._dropped or order <= self._last:
            return
        if self._sink is not None:
            self.last_seen, self._last = event.id, order
            end = self._end
            if not self._sink(item):
                self._drop()
            elif last:
                self._drop()
                if end is not None:
                    end()
            return
        if len(self._items) >= self._limit:
            self._dropped = True
        else:
            self._items.append(item)
            self.last_seen, self._last = event.id, order
            self._dropped = last  # ``next`` hands out what is queued first, then raises ``Dropped``
        self._wake()

    def close(self) -> None:
        """End the subscription now (its client left): ``next`` raises ``Dropped``."""
        self._items = []
        self._drop()

    def tick(self) -> None:
        """A heartbeat: the waiting ``next`` returns ``None`` (when nothing else is queued)."""
        if self._sink is not None:
            if not self._sink(None):
                self._drop()
            return
        self._tick = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def pending(self) -> list[T]:
        """Everything already queued, without waiting (to write it in one go after ``next``)."""
        items, self._items = self._items, []
        return items

    async def next(self, quiet_s: float | None = None) -> T | None:
        """The next item; ``None`` on a heartbeat (or after ``quiet_s`` s); ``Dropped`` if it overflowed."""
        while True:
            if self._items:
                return self._items.pop(0)
            if self._dropped:
                raise Dropped
            if self._tick:
                self._tick = False
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                if quiet_s is None:
                    await self._waiter
                else:
                    try:
                        async with asyncio.timeout(quiet_s):
                            await self._waiter
                    except TimeoutError:
                        return None
            finally:
                self._waiter = None


class LotEventHub(Generic[T]):
    def __init__(
        self,
        log: LotEventLog,
        render: Callable[[LotEvent], T],
        *,
        queue_size: int = 1_000,
        block_ms: int = 250,
        heartbeat_s: float | None = None,
        final: Callable[[LotEvent], bool] | None = None,
    ) -> None:
        """``final(event)``: no event can follow this one on its lot (its connections end after it)."""
        self._log, self._render = log, render
        self._final = final or _never
        self._queue_size, self._block_ms, self._heartbeat_s = queue_size, block_ms, heartbeat_s
        self._subs: dict[int, set[Subscription[T]]] = {}
        self._joined = 0
        self._positions: dict[int, str] = {}
        self._lock = asyncio.Lock()
        self._follower: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def connections(self) -> int:
        return sum(len(s) for s in self._subs.values())

    @property
    def attached(self) -> int:
        """Connections delivered to through a sink, written to by the fan-out itself."""
        return sum(sub.attached for subs in self._subs.values() for sub in subs)

    async def subscribe(self, lot_id: int, last_event_id: str | None) -> Subscription[T]:
        """Replay what the client missed after ``last_event_id`` (nothing if ``None``), then follow."""
        async with self._lock:
            start = last_event_id or (await self._log.last_id(lot_id)) or "0-0"
            sub: Subscription[T] = Subscription(lot_id, start, self._queue_size, self._joined % _BEAT_SLICES)
            self._joined += 1
            current = self._positions.get(lot_id)
            # The follower delivers everything after its own position for the lot (a lot it does
            # not follow yet starts from this client's): only when it is already past the client's
            # position is there a gap to replay from the log. Most connections are fresh ones at
            # the newest event, and skip the round trip that every other connection would wait on.
            if last_event_id and current is not None and event_order(current) > sub._last:
                for event in await self._log.since(lot_id, last_event_id, _REPLAY_LIMIT):
                    sub.offer(event, self._render(event), last=self._final(event))
            self._subs.setdefault(lot_id, set()).add(sub)
            if current is None or event_order(sub.last_seen) < event_order(current):
                self._positions[lot_id] = sub.last_seen
        if self._follower is None or self._follower.done():
            self._follower = asyncio.create_task(self._follow(), name="lot-event-follower")
        if self._heartbeat_s is not None and (self._heartbeat is None or self._heartbeat.done()):
            self._heartbeat = asyncio.create_task(self._beat(self._heartbeat_s), name="lot-event-heartbeat")
        return sub

    async def unsubscribe(self, sub: Subscription[T]) -> None:
        async with self._lock:
            subs = self._subs.get(sub.lot_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.lot_id]
                    self._positions.pop(sub.lot_id, None)

    async def close(self) -> None:
        """Stop following; the cancel is repeated until it takes.

        One that lands just as a blocking read's own timeout fires is swallowed on Python 3.11 (the
        read's timeout context turns it into a timeout), and the follower would read on while
        shutdown waited for it forever.
        """
        for task in (self._follower, self._heartbeat):
            while task is not None and not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.1)
            if task is not None and not task.cancelled():
                with contextlib.suppress(Exception):
                    task.result()

    async def _beat(self, every_s: float) -> None:
        turn = 0
        while self._subs:
            await asyncio.sleep(every_s / _BEAT_SLICES)
            for subs in self._subs.values():
                for sub in subs:  # tick() only sets flags: nothing here changes the sets
                    if sub.beat_slot == turn:
                        sub.tick()
            turn = (turn + 1) % _BEAT_SLICES

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
                    order = event_order(event.id)
                    if event.lot_id in self._positions and order > event_order(self._positions[event.lot_id]):
                        self._positions[event.lot_id] = event.id
                    subs = self._subs.get(event.lot_id)
                    if subs:
                        item, last = self._render(event), self._final(event)
                        for sub in subs:  # offer() only queues or writes: nothing here changes the set
                            sub.offer(event, item, order, last=last)
