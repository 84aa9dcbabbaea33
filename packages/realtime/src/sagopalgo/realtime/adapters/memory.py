"""The in-process event log (embedded default): same contract, one process."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Any

from sagopalgo.realtime.contract import RETAINED_EVENTS, LotEvent, event_order

__all__ = ["MemoryLotEventLog"]


class MemoryLotEventLog:
    def __init__(self, retained: int = RETAINED_EVENTS) -> None:
        self._logs: dict[int, deque[LotEvent]] = {}
        self._counters: dict[int, int] = {}
        self._retained = retained
        self._changed = asyncio.Event()

    def append_now(self, lot_id: int, type_: str, data: Mapping[str, Any]) -> str:
        """Synchronous append, so the in-process bid gate publishes inside its atomic step."""
        n = self._counters.get(lot_id, 0) + 1
        self._counters[lot_id] = n
        event = LotEvent(lot_id, f"{n}-0", type_, dict(data))
        self._logs.setdefault(lot_id, deque(maxlen=self._retained)).append(event)
        self._changed.set()
        return event.id

    async def publish(self, lot_id: int, type_: str, data: Mapping[str, Any]) -> str:
        return self.append_now(lot_id, type_, data)

    async def since(self, lot_id: int, after: str | None, limit: int) -> list[LotEvent]:
        log = self._logs.get(lot_id, ())
        if after is None:
            return list(log)[:limit]
        mark = event_order(after)
        return [e for e in log if event_order(e.id) > mark][:limit]

    async def last_id(self, lot_id: int) -> str | None:
        log = self._logs.get(lot_id)
        return log[-1].id if log else None

    async def until(self, lot_id: int, upto: str, limit: int) -> list[LotEvent]:
        mark = event_order(upto)
        return [e for e in reversed(self._logs.get(lot_id, ())) if event_order(e.id) <= mark][:limit]

    async def wait(self, positions: Mapping[int, str], timeout_ms: int) -> list[LotEvent]:
        found = await self._newer(positions)
        if found:
            return found
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout_ms / 1000)
        except TimeoutError:
            return []
        return await self._newer(positions)

    async def _newer(self, positions: Mapping[int, str]) -> list[LotEvent]:
        out: list[LotEvent] = []
        for lot_id, after in positions.items():
            out.extend(await self.since(lot_id, after, 1_000))
        return out
