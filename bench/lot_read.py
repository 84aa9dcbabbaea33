"""Lot detail throughput and latency with the 5 s read cache against the uncached path, same run.

    uv run --locked python bench/lot_read.py [--seconds 6]

Two real API processes share one MariaDB database and Redis: one serves details through the cache
(Redis), the other with the cache off. 100 concurrent clients read one lot from each in turn.
The original's cache cut response time by 63.4%; this prints ours.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import aiohttp

from sagopalgo.api.db import upgrade
from sagopalgo.testing.market import seed_market
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service
from sagopalgo.testing.services import redis_server_url

SECRET = "bench-secret-" + "l" * 40
CLIENTS = 100


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def drive(url: str, seconds: float) -> tuple[float, list[float]]:
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as client:

        async def one() -> None:
            while time.monotonic() < stop:
                started = time.monotonic()
                async with client.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url} answered {response.status}")
                latencies.append((time.monotonic() - started) * 1000)

        began = time.monotonic()
        await asyncio.gather(*(one() for _ in range(CLIENTS)))
        return len(latencies) / (time.monotonic() - began), latencies


async def main(database_url: str, seconds: float) -> None:
    common = {
        "SAGOPALGO_DATABASE_URL": database_url,
        "SAGOPALGO_REDIS_URL": redis_server_url(),
        "SAGOPALGO_REDIS_PREFIX": f"sagopalgo-bench:{uuid.uuid4().hex[:8]}:",
        "SAGOPALGO_JWT_SECRET": SECRET,
    }
    cached = Service("api", common | {"SAGOPALGO_LOT_CACHE_TTL_SECONDS": "5"})
    uncached = Service("api", common | {"SAGOPALGO_LOT_CACHE_TTL_SECONDS": "0"})
    try:
        cached.wait_ready()
        uncached.wait_ready()
        market = await seed_market(database_url, SECRET, bidders=1)
        results = {}
        for name, api in (("uncached", uncached), ("cached", cached)):
            await drive(f"{api.base}/api/v1/lots/{market.lot_id}", 1)  # warm up
            rps, lat = await drive(f"{api.base}/api/v1/lots/{market.lot_id}", seconds)
            results[name] = (rps, pct(lat, 50), pct(lat, 99))
            print(f"{name:>9}: {rps:7,.0f} req/s  p50 {pct(lat, 50):6.1f} ms  p99 {pct(lat, 99):6.1f} ms")
        cut = 1 - results["cached"][1] / results["uncached"][1]
        print(f"the cache cuts median response time by {cut:.1%} (the original: 63.4%)")
    finally:
        cached.stop()
        uncached.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6)
    with private_database("bench") as url:
        upgrade(url)
        asyncio.run(main(url, parser.parse_args().seconds))
