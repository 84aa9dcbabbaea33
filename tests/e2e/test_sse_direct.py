"""A served SSE process writes events straight to its connections, and still bounds a slow client.

``sagopalgo serve sse`` names each request's transport for the stream (``sagopalgo.sse.direct``);
this runs the real process (uvicorn on uvloop, Redis, MariaDB), so a server-side change that
silently fell back to the slower ASGI path, or let an unread connection buffer without bound,
shows up here.
"""

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from sagopalgo.api.db import upgrade
from sagopalgo.realtime.adapters.redis import RedisLotEventLog
from sagopalgo.testing.market import seed_market
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service

pytestmark = [pytest.mark.integration]

SECRET = "direct-test-secret-" + "d" * 32
AHEAD = 20


@pytest.fixture
def sse_db() -> Iterator[str]:
    with private_database("direct") as url:
        upgrade(url)
        yield url


def _streams(sse: Service) -> dict[str, int]:
    return dict(httpx.get(f"{sse.base}/health/streams").json())


async def _wait_for(predicate, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def test_events_are_written_directly_and_an_unread_connection_is_cut_off(
    sse_db: str, redis_url: str, redis_prefix: str
) -> None:
    market = await seed_market(sse_db, SECRET, bidders=1)
    env = {
        "SAGOPALGO_DATABASE_URL": sse_db,
        "SAGOPALGO_REDIS_URL": redis_url,
        "SAGOPALGO_REDIS_PREFIX": redis_prefix,
        "SAGOPALGO_JWT_SECRET": SECRET,
    }
    sse = Service("sse", env)
    redis = Redis.from_url(redis_url)
    log = RedisLotEventLog(redis, prefix=redis_prefix)
    path = f"/sse/v1/lots/{market.lot_id}/events"
    try:
        sse.wait_ready()
        # A client that asks and then never reads a byte.
        stalled = socket.create_connection(("127.0.0.1", sse.port))
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())

        received: list[dict[str, object]] = []
        async with (
            httpx.AsyncClient(base_url=sse.base, timeout=60) as client,
            client.stream("GET", path) as response,
        ):
            assert response.status_code == 200
            lines = response.aiter_lines()
            while not (await anext(lines)).startswith("event: snapshot"):
                pass
            await _wait_for(lambda: _streams(sse) == {"connections": 2, "direct": 2})

            progress = asyncio.Event()

            async def read_all() -> None:
                event = ""
                async for line in lines:
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event == "bid":
                        received.append(json.loads(line[5:]))
                        progress.set()
                        if len(received) == 1_500:
                            return

            reader = asyncio.create_task(read_all())
            # ~12 MiB of events: far past the stalled client's socket buffers and our bound. The
            # publisher stays at most AHEAD events (~160 KiB) in front of the reader: a reader that
            # falls 256 KiB behind is rightly cut off too, which on a loaded box would happen to
            # this one and end its stream mid-event.
            pad = "x" * 8_000
            for n in range(1_500):
                while n - len(received) > AHEAD and not reader.done():
                    progress.clear()
                    await asyncio.wait_for(progress.wait(), 60)
                await log.publish(market.lot_id, "bid", {"amount": 10_000 + n, "bidCount": n + 1, "pad": pad})
            await asyncio.wait_for(reader, 60)
            # The reader got everything, in order, once; the stalled one was cut off.
            assert [e["amount"] for e in received] == [10_000 + n for n in range(1_500)]
            await _wait_for(lambda: _streams(sse) == {"connections": 1, "direct": 1})
        stalled.close()
        await _wait_for(lambda: _streams(sse)["connections"] == 0)
    finally:
        await redis.aclose()
        sse.stop()
