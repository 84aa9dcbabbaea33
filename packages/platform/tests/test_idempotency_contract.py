"""One suite over both idempotency stores: in process and Redis."""

import asyncio

import pytest

from sagopalgo.platform.idempotency import (
    Claimed,
    IdempotencyStore,
    InUse,
    MemoryIdempotencyStore,
    Mismatch,
    RedisIdempotencyStore,
    StoredResponse,
)
from sagopalgo.platform.redis import create_redis

ANSWER = StoredResponse(201, [("content-type", "application/json")], b'{"id":7}')


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def store(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        yield MemoryIdempotencyStore()
        return
    client = create_redis(request.getfixturevalue("redis_url"))
    yield RedisIdempotencyStore(client, prefix=request.getfixturevalue("redis_prefix"))
    await client.aclose()


async def test_the_first_answer_is_replayed_and_another_body_refused(store: IdempotencyStore) -> None:
    assert await store.claim("u1:k", "fp-a", running_ttl_s=60) == Claimed()
    assert await store.claim("u1:k", "fp-a", running_ttl_s=60) == InUse()
    assert await store.claim("u1:k", "fp-b", running_ttl_s=60) == Mismatch()
    await store.complete("u1:k", "fp-a", ANSWER, ttl_s=3600)
    assert await store.claim("u1:k", "fp-a", running_ttl_s=60) == ANSWER
    assert await store.claim("u1:k", "fp-b", running_ttl_s=60) == Mismatch()
    assert await store.claim("u2:k", "fp-b", running_ttl_s=60) == Claimed()  # keys are per caller


async def test_a_released_claim_lets_the_repeat_run_again(store: IdempotencyStore) -> None:
    assert await store.claim("k", "fp", running_ttl_s=60) == Claimed()
    await store.release("k", "other")  # not ours: nothing happens
    assert await store.claim("k", "fp", running_ttl_s=60) == InUse()
    await store.release("k", "fp")
    assert await store.claim("k", "fp", running_ttl_s=60) == Claimed()


async def test_a_claim_of_a_dead_request_lapses(store: IdempotencyStore) -> None:
    assert await store.claim("k", "fp", running_ttl_s=1) == Claimed()
    await asyncio.sleep(1.2)
    assert await store.claim("k", "fp", running_ttl_s=60) == Claimed()


async def test_concurrent_repeats_run_once(store: IdempotencyStore) -> None:
    outcomes = await asyncio.gather(*(store.claim("race", "fp", running_ttl_s=60) for _ in range(50)))
    assert outcomes.count(Claimed()) == 1
    assert outcomes.count(InUse()) == 49
