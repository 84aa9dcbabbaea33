"""The in-process bid gate and bid log (embedded default): the same contract, in one process.

Judging, recording, logging and publishing happen with no ``await`` in between, so on one event
loop the step is as atomic as the Redis script is on the server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace

from sagopalgo.bidding.adapters.events import placement_events
from sagopalgo.bidding.domain.errors import IdempotencyKeyReused
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot, judge
from sagopalgo.bidding.ports import GateMiss, Idempotency, LogEntry, SyncEventSink

__all__ = ["MemoryBidGate", "MemoryBidLog"]


class MemoryBidLog:
    """The bid log in one process; poison entries are kept in ``dead`` with their reasons."""

    def __init__(self) -> None:
        self._new: list[LogEntry] = []
        self._pending: dict[str, tuple[LogEntry, str, float]] = {}
        self._arrived = asyncio.Event()
        self._counter = 0
        self.dead: list[tuple[LogEntry, str]] = []
        self.dead_lettered = 0

    def next_id(self) -> str:
        self._counter += 1
        return f"{self._counter}-0"

    def append(self, entry: LogEntry) -> None:
        self._new.append(entry)
        self._arrived.set()

    async def read(self, consumer: str, count: int, block_ms: int) -> list[LogEntry]:
        if not self._new and block_ms > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), block_ms / 1000)
            except TimeoutError:
                return []
        taken, self._new = self._new[:count], self._new[count:]
        now = time.monotonic()
        for entry in taken:
            self._pending[entry.entry_id] = (entry, consumer, now)
        return taken

    async def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[LogEntry]:
        limit = time.monotonic() - min_idle_ms / 1000
        stale = [e for e, _, at in self._pending.values() if at <= limit][:count]
        for entry in stale:
            self._pending[entry.entry_id] = (entry, consumer, time.monotonic())
        return stale

    async def pending(self, consumer: str, count: int) -> list[LogEntry]:
        now = time.monotonic()
        mine = [e for e, owner, _ in self._pending.values() if owner == consumer][:count]
        for entry in mine:
            self._pending[entry.entry_id] = (entry, consumer, now)
        return mine

    async def ack(self, entry_ids: Sequence[str]) -> None:
        for entry_id in entry_ids:
            self._pending.pop(entry_id, None)

    async def dead_letter(self, entry: LogEntry, reason: str) -> None:
        self._pending.pop(entry.entry_id, None)
        self.dead.append((entry, reason))
        self.dead_lettered += 1


class MemoryBidGate:
    def __init__(self, log: MemoryBidLog, events: SyncEventSink, *, idempotency_ttl_s: int = 86_400) -> None:
        self._log, self._events = log, events
        self._lots: dict[int, GateLot] = {}
        self._aliases: dict[int, dict[int, int]] = {}
        self._idem: dict[tuple[int, int, str], tuple[str, Acceptance, float]] = {}
        self._ttl = idempotency_ttl_s

    async def prime(self, lot: GateLot, aliases: dict[int, int]) -> bool:
        held = self._lots.get(lot.lot_id)
        if held is not None and not held.frozen:
            return False
        self._lots[lot.lot_id] = lot
        self._aliases[lot.lot_id] = dict(aliases)
        return True

    async def state(self, lot_id: int) -> GateLot | None:
        return self._lots.get(lot_id)

    async def freeze(self, lot_id: int) -> GateLot | None:
        lot = self._lots.get(lot_id)
        if lot is not None:
            lot = self._lots[lot_id] = replace(lot, frozen=True)
        return lot

    def forget(self, lot_id: int) -> None:
        """Lose the lot's state, as a Redis restart would (for tests of the rebuild)."""
        self._lots.pop(lot_id, None)
        self._aliases.pop(lot_id, None)

    async def place(self, lot_id: int, bid: BidRequest, idempotency: Idempotency | None) -> Acceptance:
        lot = self._lots.get(lot_id)
        if lot is None:
            raise GateMiss(lot_id)
        if idempotency is not None:
            key = (lot_id, bid.bidder, idempotency.key)
            seen = self._idem.get(key)
            if seen is not None and seen[2] > time.monotonic():
                if seen[0] != idempotency.fingerprint:
                    raise IdempotencyKeyReused()
                return seen[1]
        accepted = judge(lot, bid)  # raises the refusal; nothing below runs then
        self._lots[lot_id] = accepted.state
        aliases = self._aliases.setdefault(lot_id, {})
        numbers = []
        for placed in accepted.placed:
            if placed.bidder not in aliases:
                aliases[placed.bidder] = len(aliases) + 1
            numbers.append(aliases[placed.bidder])
        self._log.append(
            LogEntry(
                self._log.next_id(), lot_id, bid.bidder, bid.max_amount, bid.now_ms, accepted, tuple(numbers)
            )
        )
        for type_, data in placement_events(lot_id, accepted, tuple(numbers), bid.now_ms):
            self._events.append_now(lot_id, type_, data)
        if idempotency is not None:
            self._idem[(lot_id, bid.bidder, idempotency.key)] = (
                idempotency.fingerprint,
                accepted,
                time.monotonic() + self._ttl,
            )
        return accepted
