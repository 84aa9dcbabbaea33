"""After Redis restarts, the pool's connections to the old server are replaced, not used."""

import asyncio

from sagopalgo.platform.redis import create_redis


async def test_no_call_fails_once_a_restarted_server_is_back(private_redis) -> None:  # type: ignore[no-untyped-def]
    redis = create_redis(private_redis.url)
    try:
        await asyncio.gather(*(redis.set(f"k{n}", n) for n in range(10)))  # ten pooled connections
        private_redis.stop()
        private_redis.start()
        await asyncio.sleep(0.2)  # the old server's goodbyes (EOF) have reached every socket
        for n in range(12):  # one at a time: each takes a pooled connection to the old server
            assert await redis.get(f"k{n}") is None  # not a ConnectionError: the server is up
    finally:
        await redis.aclose()
