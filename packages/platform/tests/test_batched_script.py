"""The batched script caller on a real Redis: shared round trips, lost script cache, a dead server."""

import asyncio

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from sagopalgo.platform.redis import BatchedScript, create_redis

COUNT = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
FAIL = "return redis.error_reply('NOPE ' .. ARGV[1])"


async def _evalsha_calls(redis: Redis) -> int:
    info = await redis.info("commandstats")
    return int(info.get("cmdstat_evalsha", {}).get("calls", 0))


async def test_concurrent_calls_share_round_trips_and_each_gets_its_own_answer(private_redis) -> None:  # type: ignore[no-untyped-def]
    redis = create_redis(private_redis.url)
    try:
        script = BatchedScript(redis, COUNT)
        await redis.script_load(COUNT)
        answers = await asyncio.gather(*(script(["n"], [1]) for _ in range(500)))
        assert sorted(answers) == list(range(1, 501))  # each INCRBY ran once, atomically
        assert await _evalsha_calls(redis) == 500
        clients = await redis.info("clients")
        assert int(clients["connected_clients"]) <= 3  # not one connection per call
    finally:
        await redis.aclose()


async def test_a_server_that_lost_its_scripts_runs_each_call_once(private_redis) -> None:  # type: ignore[no-untyped-def]
    redis = create_redis(private_redis.url)
    try:
        script = BatchedScript(redis, COUNT)
        assert await script(["n"], [5]) == 5
        await redis.script_flush()
        assert await asyncio.gather(*(script(["n"], [1]) for _ in range(10))) != []
        assert int(await redis.get("n")) == 15
    finally:
        await redis.aclose()


async def test_a_script_error_reaches_only_its_caller(private_redis) -> None:  # type: ignore[no-untyped-def]
    redis = create_redis(private_redis.url)
    try:
        failing, counting = BatchedScript(redis, FAIL), BatchedScript(redis, COUNT)
        results = await asyncio.gather(failing(["x"], ["a"]), counting(["n"], [1]), return_exceptions=True)
        assert isinstance(results[0], ResponseError)
        assert "NOPE a" in str(results[0])
        assert results[1] == 1
    finally:
        await redis.aclose()


async def test_a_dead_server_fails_every_waiting_call_and_a_restarted_one_serves_again(private_redis) -> None:  # type: ignore[no-untyped-def]
    redis = create_redis(private_redis.url, timeout=0.5)
    try:
        script = BatchedScript(redis, COUNT)
        assert await script(["n"], [1]) == 1
        private_redis.stop()
        results = await asyncio.gather(*(script(["n"], [1]) for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, (RedisConnectionError, OSError)) for r in results), results
        private_redis.start()
        assert await script(["n"], [1]) == 1  # a new server: empty, and without the script
    finally:
        await redis.aclose()
