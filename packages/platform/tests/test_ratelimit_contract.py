"""One suite over both rate limiters: the in-process one and the Redis one."""

import asyncio
from datetime import timedelta

import pytest

from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from sagopalgo.platform.redis import create_redis


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def limiter(request: pytest.FixtureRequest, clock: ManualClock):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield MemoryRateLimiter(clock)
        return
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    client = create_redis(url)
    yield RedisRateLimiter(client, clock, prefix=prefix)
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
