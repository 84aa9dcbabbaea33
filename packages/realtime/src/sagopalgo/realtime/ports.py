"""The lot event log, as the SSE fan-out and the publishers need it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sagopalgo.realtime.contract import LotEvent

__all__ = ["LotEventLog"]


class LotEventLog(Protocol):
    async def publish(self, lot_id: int, type_: str, data: Mapping[str, Any]) -> str:
        """Append an event and return its id (greater than every earlier id of that lot)."""
        ...

    async def since(self, lot_id: int, after: str | None, limit: int) -> list[LotEvent]:
        """Events after ``after`` (all retained ones when ``None``), oldest first."""
        ...

    async def last_id(self, lot_id: int) -> str | None: ...

    async def until(self, lot_id: int, upto: str, limit: int) -> list[LotEvent]:
        """Events up to and including ``upto``, newest first (to rebuild a snapshot at that point)."""
        ...

    async def wait(self, positions: Mapping[int, str], timeout_ms: int) -> list[LotEvent]:
        """Block until some lot in ``positions`` has events after its position, or the timeout.

        One call serves every lot this process follows: on Redis it is a single ``XREAD BLOCK``.
        """
        ...
