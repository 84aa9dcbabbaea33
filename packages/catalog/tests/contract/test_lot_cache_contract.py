"""The lot-detail cache's contract, in process and on Redis."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from redis.asyncio import Redis

from sagopalgo.catalog.adapters.cache import MemoryLotCache, RedisLotCache
from sagopalgo.catalog.contract import CategoryView, LotStatus, LotView
from sagopalgo.catalog.ports import LotCache
from sagopalgo.kernel.clock import ManualClock

VIEW = LotView(
    id=41,
    title="백자 달항아리",
    description="조선 후기",
    category=CategoryView(3, "도자기"),
    seller_id=7,
    seller_username="seller",
    image_keys=("lots/7/a.png", "lots/7/b.webp"),
    start_price=10_000,
    bid_increment=1_000,
    current_price=None,
    bid_count=0,
    auction_day=date(2026, 11, 26),
    opens_at=datetime(2026, 11, 26, 0, tzinfo=UTC),
    closes_at=datetime(2026, 11, 26, 9, tzinfo=UTC),
    extended_bidding=True,
    status=LotStatus.SCHEDULED,
    created_at=datetime(2026, 11, 25, 1, 2, 3, 456000, tzinfo=UTC),
)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def cache(
    request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[tuple[LotCache, ManualClock | None]]:
    if request.param == "memory":
        yield MemoryLotCache(clock, max_entries=3), clock
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield RedisLotCache(redis, prefix=request.getfixturevalue("redis_prefix")), None
    finally:
        await redis.aclose()


async def _expire(clock: ManualClock | None, cache: LotCache, lot_id: int) -> None:
    """Step past a 1 s TTL: by the clock port in process; Redis expires keys on its own clock."""
    if clock is not None:
        clock.advance(timedelta(seconds=1))
        return
    for _ in range(40):
        if await cache.get(lot_id) is None:
            return
        await asyncio.sleep(0.1)


async def test_a_view_round_trips_unchanged(cache: tuple[LotCache, ManualClock | None]) -> None:
    store, _ = cache
    assert await store.get(VIEW.id) is None
    await store.put(VIEW, 5)
    assert await store.get(VIEW.id) == VIEW


async def test_invalidate_drops_the_entry(cache: tuple[LotCache, ManualClock | None]) -> None:
    store, _ = cache
    await store.put(VIEW, 5)
    await store.invalidate(VIEW.id)
    await store.invalidate(VIEW.id)  # twice is harmless
    assert await store.get(VIEW.id) is None


async def test_entries_expire_after_their_ttl(cache: tuple[LotCache, ManualClock | None]) -> None:
    store, clock = cache
    await store.put(VIEW, 1)
    assert await store.get(VIEW.id) == VIEW
    await _expire(clock, store, VIEW.id)
    assert await store.get(VIEW.id) is None


async def test_entries_are_per_lot(cache: tuple[LotCache, ManualClock | None]) -> None:
    store, _ = cache
    other = dataclasses.replace(VIEW, id=42, title="other")
    await store.put(VIEW, 5)
    await store.put(other, 5)
    await store.invalidate(VIEW.id)
    assert await store.get(other.id) == other


async def test_the_memory_cache_is_bounded(clock: ManualClock) -> None:
    store = MemoryLotCache(clock, max_entries=2)
    for lot_id in (1, 2, 3):
        await store.put(dataclasses.replace(VIEW, id=lot_id), 5)
    assert [await store.get(i) is not None for i in (1, 2, 3)] == [False, True, True]
