"""The bid race: two API and two SSE processes, 200 bidders on one lot, and an API killed mid-storm.

Afterwards the lot's event log (the gate's order) is the truth: its amounts strictly increase, the
final price is the highest accepted bid, the database holds exactly those bids, and every SSE client
on both SSE processes received every one of them exactly once, in order.
"""

import asyncio
import json
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from redis import Redis
from sqlalchemy import select

from sagopalgo.api.db import upgrade
from sagopalgo.bidding.adapters.sql.tables import bids
from sagopalgo.platform.sql import create_engine
from sagopalgo.realtime.contract import EVENT_DATA, EVENT_TYPE, lot_stream_key
from sagopalgo.testing.market import Market, seed_market
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("bid-race")]

SECRET = "race-test-secret-" + "r" * 32
BIDDERS = 200
ATTEMPTS = 6
SSE_CLIENTS_PER_PROCESS = 3


@pytest.fixture
def race_db() -> Iterator[str]:
    with private_database("race") as url:
        upgrade(url)
        yield url


async def _listen(
    url: str, collected: list[dict[str, Any]], ready: asyncio.Event, done: asyncio.Event
) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(120)) as client, client.stream("GET", url) as response:
        assert response.status_code == 200
        event: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line.startswith("event:") and line.split(":", 1)[1].strip() == "snapshot":
                ready.set()
            if line == "":
                if event.get("event") == "bid":
                    collected.append({"id": event["id"], **json.loads(event["data"])})
                event = {}
                if done.is_set():
                    return
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                event[name] = value.strip()


async def _storm(
    market: Market, apis: list[Service], kill_at: int | None
) -> tuple[list[dict[str, Any]], int]:
    """Every bidder tries ``ATTEMPTS`` times; a lost connection or a 503 is retried on the other API
    with the same Idempotency-Key (what a client behind a load balancer does)."""
    accepted: list[dict[str, Any]] = []
    sent = 0
    rng = random.Random(5)
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)

    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def bidder(n: int, token: str) -> None:
            nonlocal sent
            amount = market.start_price
            for _ in range(ATTEMPTS):
                key = uuid.uuid4().hex
                for hop in range(4):
                    api = apis[(n + hop) % len(apis)]
                    sent += 1
                    if kill_at is not None and sent == kill_at:
                        apis[0].kill()
                    try:
                        response = await client.post(
                            f"{api.base}/api/v1/lots/{market.lot_id}/bids",
                            json={"amount": amount},
                            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                        )
                    except httpx.TransportError:
                        continue
                    if response.status_code == 503:  # "retry shortly" (a dependency timed out under
                        await asyncio.sleep(0.2)  # this load): the same key makes the retry safe
                        continue
                    break
                else:
                    return
                body = response.json()
                if response.status_code == 201:
                    accepted.append(body)
                    amount = body["currentPrice"] + market.increment * rng.randint(1, 3)
                elif body.get("code") == "BID_TOO_LOW":
                    amount = body["minimumBid"] + market.increment * rng.randint(0, 2)
                elif body.get("code") == "ALREADY_LEADING":
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError(body)

        await asyncio.gather(*(bidder(n, t) for n, t in enumerate(market.bidder_tokens)))
    return accepted, sent


def _truth(redis_url: str, prefix: str, lot_id: int) -> list[tuple[str, int, int]]:
    """(event id, amount, bid count) of every bid event, in the gate's order."""
    client = Redis.from_url(redis_url)
    try:
        entries = client.xrange(lot_stream_key(prefix, lot_id))
    finally:
        client.close()
    out = []
    for entry_id, fields in entries:
        if fields[EVENT_TYPE.encode()] == b"bid":
            data = json.loads(fields[EVENT_DATA.encode()])
            out.append((entry_id.decode(), data["amount"], data["bidCount"]))
    return out


async def _persisted(database_url: str, lot_id: int, expected: int) -> list[tuple[str, int]]:
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(bids.c.id, bids.c.amount).where(bids.c.lot_id == lot_id).order_by(bids.c.seq)
                    )
                ).all()
            if len(rows) >= expected or time.monotonic() > deadline:
                return [(r.id, r.amount) for r in rows]
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("kill", [False, True], ids=["steady", "api-killed-mid-storm"])
async def test_two_hundred_bidders_on_one_lot(
    race_db: str, redis_url: str, redis_prefix: str, kill: bool
) -> None:
    env = {
        "SAGOPALGO_DATABASE_URL": race_db,
        "SAGOPALGO_REDIS_URL": redis_url,
        "SAGOPALGO_REDIS_PREFIX": redis_prefix,
        "SAGOPALGO_JWT_SECRET": SECRET,
        "SAGOPALGO_BID_WRITER_CLAIM_MS": "1500",
        "SAGOPALGO_DATABASE_POOL_SIZE": "20",
    }
    market = await seed_market(race_db, SECRET, bidders=BIDDERS)
    apis = [Service("api", env), Service("api", env)]
    sses = [Service("sse", env), Service("sse", env)]
    try:
        for service in apis + sses:
            service.wait_ready()
        done = asyncio.Event()
        listeners: list[list[dict[str, Any]]] = []
        tasks = []
        readies = []
        for sse in sses:
            for _ in range(SSE_CLIENTS_PER_PROCESS):
                got: list[dict[str, Any]] = []
                ready = asyncio.Event()
                listeners.append(got)
                readies.append(ready)
                url = f"{sse.base}/sse/v1/lots/{market.lot_id}/events"
                tasks.append(asyncio.create_task(_listen(url, got, ready, done)))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 15)

        accepted, sent = await _storm(market, apis, kill_at=BIDDERS if kill else None)
        truth = _truth(redis_url, redis_prefix, market.lot_id)

        amounts = [amount for _, amount, _ in truth]
        assert len(truth) >= 30, (len(truth), sent)  # a real contest, not a walk-over
        assert amounts == sorted(set(amounts)), "accepted amounts strictly increase in gate order"
        assert [count for _, _, count in truth] == list(range(1, len(truth) + 1))
        answered = {a["amount"] for a in accepted}
        assert answered <= set(amounts)
        if not kill:
            assert answered == set(amounts)
        async with httpx.AsyncClient(timeout=10) as client:
            live = (await client.get(f"{apis[1].base}/api/v1/lots/{market.lot_id}")).json()
        assert (live["currentPrice"], live["bidCount"]) == (amounts[-1], len(amounts))

        stored = await _persisted(race_db, market.lot_id, len(truth))
        assert [amount for _, amount in stored] == amounts, "the database holds exactly the accepted bids"
        assert {a["id"] for a in accepted} <= {bid_id for bid_id, _ in stored}

        deadline = time.monotonic() + 20
        while any(len(got) < len(truth) for got in listeners) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        done.set()
        for got in listeners:
            assert [(e["id"], e["amount"]) for e in got] == [(i, a) for i, a, _ in truth]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for service in apis + sses:
            service.stop()
