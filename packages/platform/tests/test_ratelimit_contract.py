"""One suite over the rate limiters: the in-process one, the Redis one and Redis reserving slices."""

import asyncio
from datetime import timedelta

import pytest

from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.ratelimit import (
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    ReservingRateLimiter,
    slice_for,
)
from sagopalgo.platform.redis import create_redis


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.integration),
        pytest.param("reserving", marks=pytest.mark.integration),
    ]
)
async def limiter(request: pytest.FixtureRequest, clock: ManualClock):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield MemoryRateLimiter(clock)
        return
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    client = create_redis(url)
    kind = RedisRateLimiter if request.param == "redis" else ReservingRateLimiter
    yield kind(client, clock, prefix=prefix)
    await client.aclose()


async def test_allows_up_to_the_limit_then_says_when_to_retry(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    clock.set(clock.now().replace(second=10, microsecond=0))
    results = [await limiter.hit("k", limit=3, window_seconds=60) for _ in range(4)]
    assert results[:3] == [None, None, None]
    assert results[3] == 50


async def test_a_new_window_starts_afresh_and_keys_are_separate(
    limiter: RateLimiter, clock: ManualClock
) -> None:
    for _ in range(2):
        await limiter.hit("a", limit=2, window_seconds=60)
    assert await limiter.hit("a", limit=2, window_seconds=60) is not None
    assert await limiter.hit("b", limit=2, window_seconds=60) is None
    clock.advance(timedelta(seconds=60))
    assert await limiter.hit("a", limit=2, window_seconds=60) is None


async def test_concurrent_hits_never_exceed_the_limit(limiter: RateLimiter) -> None:
    results = await asyncio.gather(*(limiter.hit("race", limit=25, window_seconds=60) for _ in range(200)))
    assert sum(r is None for r in results) == 25


@pytest.mark.integration
@pytest.mark.parametrize("limit", [1, 7, 60, 1_000])
async def test_reserving_processes_never_admit_more_than_the_limit_together(
    redis_url: str, redis_prefix: str, clock: ManualClock, limit: int
) -> None:
    """Three "processes" (limiters on one Redis) hit one key, interleaved and concurrently: they
    admit at most ``limit`` between them, and strand at most ``slice - 1`` each besides the first."""
    clients = [create_redis(redis_url) for _ in range(3)]
    processes = [ReservingRateLimiter(c, clock, prefix=redis_prefix) for c in clients]
    try:
        hits = [processes[n % 3].hit("user:1", limit=limit, window_seconds=60) for n in range(3 * limit + 30)]
        admitted = sum(r is None for r in await asyncio.gather(*hits))
        assert limit - 2 * (slice_for(limit) - 1) <= admitted <= limit
        clock.advance(timedelta(seconds=60))  # a new window: a process refused locally asks Redis afresh
        assert await processes[1].hit("user:1", limit=limit, window_seconds=60) is None
    finally:
        for c in clients:
            await c.aclose()


@pytest.mark.integration
async def test_reserving_costs_one_round_trip_per_slice_and_none_once_refused(
    redis_url: str, redis_prefix: str, clock: ManualClock
) -> None:
    client = create_redis(redis_url)
    limiter = ReservingRateLimiter(client, clock, prefix=redis_prefix)
    calls = 0
    script = limiter._script

    async def counted(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await script(**kwargs)

    limiter._script = counted  # type: ignore[assignment]
    try:
        results = [await limiter.hit("user:2", limit=60, window_seconds=60) for _ in range(100)]
        assert sum(r is None for r in results) == 60
        assert calls == 60 // slice_for(60) + 1  # ten slices of six, then one "no more" and silence
    finally:
        await client.aclose()
