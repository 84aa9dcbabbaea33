"""Lot-detail caches: in-process for the embedded default, Redis when several API processes share it."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

import msgspec
from redis.asyncio import Redis

from sagopalgo.catalog.contract import LotView
from sagopalgo.kernel.clock import Clock

__all__ = ["MemoryLotCache", "RedisLotCache"]


class MemoryLotCache:
    """A bounded LRU whose entries expire by the clock port (so tests can step past the TTL)."""

    def __init__(self, clock: Clock, *, max_entries: int = 10_000) -> None:
        self._clock, self._max = clock, max_entries
        self._entries: OrderedDict[int, tuple[datetime, LotView]] = OrderedDict()

    async def get(self, lot_id: int) -> LotView | None:
        entry = self._entries.get(lot_id)
        if entry is None:
            return None
        if entry[0] <= self._clock.now():
            self._entries.pop(lot_id, None)
            return None
        self._entries.move_to_end(lot_id)
        return entry[1]

    async def put(self, view: LotView, ttl_seconds: int) -> None:
        self._entries[view.id] = (self._clock.now() + timedelta(seconds=ttl_seconds), view)
        self._entries.move_to_end(view.id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def invalidate(self, lot_id: int) -> None:
        self._entries.pop(lot_id, None)


class RedisLotCache:
    """``SET key value EX ttl`` of the msgspec-encoded view; Redis expires it, so no clock is used."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}catalog:lot:"
        self._decoder = msgspec.json.Decoder(LotView)
        self._encoder = msgspec.json.Encoder()

    def _key(self, lot_id: int) -> str:
        return f"{self._prefix}{lot_id}"

    async def get(self, lot_id: int) -> LotView | None:
        raw = await self._redis.get(self._key(lot_id))
        if raw is None:
            return None
        try:
            return self._decoder.decode(raw)
        except msgspec.ValidationError:  # written by an older release with another shape
            return None

    async def put(self, view: LotView, ttl_seconds: int) -> None:
        await self._redis.set(self._key(view.id), self._encoder.encode(view), ex=ttl_seconds)

    async def invalidate(self, lot_id: int) -> None:
        await self._redis.delete(self._key(lot_id))
