"""Lot event logs as Redis streams, one per lot; one ``XREAD BLOCK`` follows all of a process's lots."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from redis.asyncio import Redis

from sagopalgo.realtime.contract import EVENT_DATA, EVENT_TYPE, RETAINED_EVENTS, LotEvent, lot_stream_key

__all__ = ["RedisLotEventLog"]

_json = msgspec.json.Decoder(dict[str, Any])


def _event(lot_id: int, entry_id: bytes | str, fields: Mapping[Any, Any]) -> LotEvent:
    def field(name: str) -> Any:
        return fields.get(name.encode(), fields.get(name))

    raw_type, raw_data = field(EVENT_TYPE), field(EVENT_DATA)
    event_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    kind = raw_type.decode() if isinstance(raw_type, bytes) else str(raw_type)
    return LotEvent(lot_id, event_id, kind, _json.decode(raw_data))


class RedisLotEventLog:
    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis, self._prefix = redis, prefix

    def _key(self, lot_id: int) -> str:
        return lot_stream_key(self._prefix, lot_id)

    async def publish(self, lot_id: int, type_: str, data: Mapping[str, Any]) -> str:
        entry = await self._redis.xadd(
            self._key(lot_id),
            {EVENT_TYPE: type_, EVENT_DATA: msgspec.json.encode(dict(data))},
            maxlen=RETAINED_EVENTS,
            approximate=True,
        )
        return entry.decode() if isinstance(entry, bytes) else str(entry)

    async def since(self, lot_id: int, after: str | None, limit: int) -> list[LotEvent]:
        start = f"({after}" if after else "-"
        entries: Any = await self._redis.xrange(self._key(lot_id), min=start, max="+", count=limit)
        return [_event(lot_id, entry_id, fields) for entry_id, fields in entries]

    async def last_id(self, lot_id: int) -> str | None:
        entries: Any = await self._redis.xrevrange(self._key(lot_id), count=1)
        if not entries:
            return None
        entry_id = entries[0][0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def until(self, lot_id: int, upto: str, limit: int) -> list[LotEvent]:
        entries: Any = await self._redis.xrevrange(self._key(lot_id), max=upto, min="-", count=limit)
        return [_event(lot_id, entry_id, fields) for entry_id, fields in entries]

    async def wait(self, positions: Mapping[int, str], timeout_ms: int) -> list[LotEvent]:
        if not positions:
            return []
        by_key = {self._key(lot_id): lot_id for lot_id in positions}
        streams = {self._key(lot_id): after for lot_id, after in positions.items()}
        answer: Any = await self._redis.xread(streams, count=1_000, block=max(1, timeout_ms))  # type: ignore[arg-type]
        out: list[LotEvent] = []
        for key, entries in answer or []:
            lot_id = by_key[key.decode() if isinstance(key, bytes) else key]
            out.extend(_event(lot_id, entry_id, fields) for entry_id, fields in entries)
        return out
