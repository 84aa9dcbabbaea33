"""Bid throughput and latency over HTTP against one real API process (MariaDB + Redis).

    uv run --locked python bench/bids.py [--seconds 8]

Runs, in one go, against one API process at a time:
(1) closed loop, 200 concurrent bidders on one lot, bids/s, with the Redis gate and with the
    baseline gate that serialises on the lot's database row (``SAGOPALGO_BID_GATE=sql``,
    ``SELECT ... FOR UPDATE`` on MariaDB) — target: Redis >= 3x the baseline;
(2) with the Redis gate, an open loop at a fixed offered rate of 500 and 1,000 bids/s (latency
    measured from each request's *scheduled* start, so a queue shows up as latency) — target p99
    under 25 ms at 1,000/s;
(3) the bid-log writer's lag, accepted -> committed, p50/p99, as the API process measures it
    (``GET /health/bid-writer``).
The per-user bid limit runs lifted (``LOAD_LIMITS``: it reserves slices from Redis but never
refuses); ``--limiter both`` also runs the Redis gate with it off (``BID_RATE_LIMIT_PER_MINUTE=0``)
to show what it costs.
Needs MariaDB at SAGOPALGO_TEST_MARIADB_URL and Redis at SAGOPALGO_TEST_REDIS_URL (the test
defaults). It creates and drops a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import time
import uuid

import aiohttp
import uvloop

from sagopalgo.api.db import upgrade
from sagopalgo.testing.market import Market, seed_market
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service
from sagopalgo.testing.services import redis_server_url

SECRET = "bench-secret-" + "b" * 40


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class Bidders:
    """Shared knowledge of the lot's floor, so most bids are real contenders."""

    def __init__(self, market: Market) -> None:
        self.market, self.floor = market, market.start_price

    def body(self) -> dict[str, int]:
        return {"amount": self.floor + self.market.increment * random.randint(0, 2)}  # noqa: S311 - load, not secrets

    def learn(self, status: int, data: dict[str, int]) -> None:
        if status == 201:
            self.floor = max(self.floor, data["currentPrice"] + self.market.increment)
        elif "minimumBid" in data:
            self.floor = max(self.floor, data["minimumBid"])


async def post(
    client: aiohttp.ClientSession, url: str, body: dict[str, int], token: str
) -> tuple[int, dict[str, int]]:
    async with client.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json(content_type=None)


async def closed_loop(client: aiohttp.ClientSession, api: str, market: Market, seconds: float) -> float:
    bidders, done, stop = Bidders(market), 0, time.monotonic() + seconds

    async def one(token: str) -> None:
        nonlocal done
        while time.monotonic() < stop:
            bidders.learn(
                *await post(client, f"{api}/api/v1/lots/{market.lot_id}/bids", bidders.body(), token)
            )
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(one(t) for t in market.bidder_tokens))
    return done / (time.monotonic() - started)


async def open_loop(
    client: aiohttp.ClientSession, api: str, market: Market, rate: int, seconds: float
) -> list[float]:
    bidders, latencies, failures = Bidders(market), [], []
    tokens = market.bidder_tokens

    async def one(n: int, scheduled: float) -> None:
        try:
            answer = await post(
                client, f"{api}/api/v1/lots/{market.lot_id}/bids", bidders.body(), tokens[n % len(tokens)]
            )
        except aiohttp.ClientError:  # an overloaded server drops connections: a failure, timed as such
            answer = (0, {})
            failures.append(n)
        latencies.append((time.monotonic() - scheduled) * 1000)
        bidders.learn(*answer)

    # Requests are launched by one dispatcher as their time comes, not created up front: creating
    # thousands of sleeping tasks at once stalled the client's own loop and showed up as latency.
    # The client's garbage collector is off while the load runs for the same reason: it paused
    # the loop for 60-100 ms once a run (thousands of finished tasks and responses).
    gc.collect()
    gc.disable()
    try:
        start, requests = time.monotonic(), []
        for n in range(int(rate * seconds)):
            scheduled = start + n / rate
            if (delay := scheduled - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            requests.append(asyncio.create_task(one(n, scheduled)))
        await asyncio.gather(*requests)
    finally:
        gc.enable()
    if failures:
        print(f"  {len(failures)} of {len(latencies)} requests failed (connection dropped)")
    return latencies


async def run_gate(
    database_url: str,
    gate: str,
    seconds: float,
    *,
    open_loop_rates: tuple[int, ...],
    limiter: bool = True,
) -> tuple[float, dict[str, object]]:
    label = gate if limiter else f"{gate} (bid limiter off)"
    env = {
        "SAGOPALGO_DATABASE_URL": database_url,
        "SAGOPALGO_REDIS_URL": redis_server_url(),
        "SAGOPALGO_REDIS_PREFIX": f"sagopalgo-bench:{uuid.uuid4().hex[:8]}:",
        "SAGOPALGO_JWT_SECRET": SECRET,
        "SAGOPALGO_DATABASE_POOL_SIZE": "20",
        "SAGOPALGO_BID_GATE": gate,
    } | ({} if limiter else {"SAGOPALGO_BID_RATE_LIMIT_PER_MINUTE": "0"})
    api = Service("api", env)  # the rate limits lifted (LOAD_LIMITS) unless turned off above
    try:
        api.wait_ready()
        connector = aiohttp.TCPConnector(limit=1_000)
        # aiohttp, not httpx: httpx's async pool tops out near 150 requests/s at this concurrency,
        # which would measure the client instead of the server.
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
            market = await seed_market(database_url, SECRET, bidders=200, minutes_open=30)
            await closed_loop(client, api.base, market, 1)  # warm up: connections, caches, JIT-free paths
            throughput = await closed_loop(client, api.base, market, seconds)
            print(f"closed loop, 200 bidders, {label:>5} gate: {throughput:8,.0f} bids/s")
            for rate in open_loop_rates:
                lat = await open_loop(client, api.base, market, rate, seconds / 2)
                print(
                    f"open loop {rate:>5}/s offered, {label} gate: p50 {pct(lat, 50):6.1f} ms"
                    f"  p95 {pct(lat, 95):6.1f} ms  p99 {pct(lat, 99):6.1f} ms  (n={len(lat)})"
                )
            await asyncio.sleep(1.5)  # let the writer drain what was accepted last
            async with client.get(f"{api.base}/health/bid-writer") as response:
                writer: dict[str, object] = await response.json()
            print(
                f"bid-log writer, {label} gate: {writer['written']} entries committed,"
                f" lag p50 {writer['lagP50Ms']} ms  p99 {writer['lagP99Ms']} ms"
            )
            return throughput, writer
    finally:
        api.stop()


async def main(database_url: str, seconds: float, limiter: str) -> None:
    baseline, _ = await run_gate(database_url, "sql", seconds, open_loop_rates=())
    redis, _ = await run_gate(database_url, "redis", seconds, open_loop_rates=(500, 1_000))
    verdict = "meets" if redis >= 3 * baseline else "MISSES"
    print(f"Redis gate / row-lock baseline: {redis / baseline:.2f}x ({verdict} the 3x target)")
    if limiter == "both":
        off, _ = await run_gate(database_url, "redis", seconds, open_loop_rates=(1_000,), limiter=False)
        print(f"Redis gate with the bid limiter / without: {redis / off:.2f}x the throughput")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--limiter", choices=("on", "both"), default="on")
    args = parser.parse_args()
    with private_database("bench") as url:
        upgrade(url)
        uvloop.run(main(url, args.seconds, args.limiter))  # the client's loop must not be the bottleneck
