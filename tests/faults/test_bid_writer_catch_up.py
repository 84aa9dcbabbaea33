"""The bid-log writer after a MariaDB outage, and with poison entries in the log.

The gate (Redis) keeps accepting bids while the database is down; the writer reads them, fails to
store them, and they stay pending for it. With the production claim time (30 s) nobody else would
take them over for half a minute: the writer must retry its own pending entries first and catch
up within seconds of the database's return. A poison entry (undecodable, or violating a
constraint that duplication does not explain) must not hold back the entries after it, and no bid
is ever stored twice. Runs on a private MariaDB (stopped and started by the test) and the shared
Redis under the test's own prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.api.db import upgrade
from sagopalgo.bidding.adapters.codec import encode_placement
from sagopalgo.bidding.adapters.redis import GROUP, RedisBidGate, RedisBidLog, bid_log_key, dead_letter_key
from sagopalgo.bidding.adapters.sql.repository import SqlBiddingUnitOfWork
from sagopalgo.bidding.adapters.sql.tables import bids
from sagopalgo.bidding.application.service import POISON_ATTEMPTS, BiddingService
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot, PlacedBid
from sagopalgo.bidding.ports import LotFacts
from sagopalgo.kernel.clock import SystemClock
from sagopalgo.platform.redis import create_redis
from sagopalgo.platform.sql import create_engine, session_factory
from sagopalgo.testing.procs import PrivateMariaDB

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]

PRODUCTION_CLAIM_MS = 30_000
CATCH_UP_LIMIT_S = 10.0
"""The writer's backoff is at most 2 s; the rest is the database's first answers on a busy box
(measured 0.3-0.5 s; 28 s when the writers waited for the 30 s claim)."""


def _lot(lot_id: int) -> GateLot:
    now = int(time.time() * 1000)
    return GateLot(
        lot_id=lot_id,
        seller_id=1,
        start_price=10_000,
        increment=1_000,
        opens_ms=now - 60_000,
        closes_ms=now + 3_600_000,
        hard_cap_ms=now + 3_600_000,
        extended_bidding=False,
        extension_ms=0,
        max_krw=1_000_000_000,
    )


class _NoFacts:
    async def facts(self, lot_id: int) -> LotFacts | None:
        return None


@dataclass
class Rig:
    gate: RedisBidGate
    log: RedisBidLog
    service: BiddingService
    engine: AsyncEngine
    redis: Redis
    prefix: str
    lot_id: int
    accepted: list[Acceptance]
    next_amount: int = 10_000

    async def bid(self) -> Acceptance:
        bidder = 2 + len(self.accepted) % 2
        request = BidRequest(
            bidder,
            self.next_amount,
            self.next_amount,
            int(time.time() * 1000),
            (uuid.uuid4().hex, uuid.uuid4().hex),
        )
        acceptance = await self.gate.place(self.lot_id, request, None)
        self.accepted.append(acceptance)
        self.next_amount += 1_000
        return acceptance

    async def stored(self) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(bids.c.id).where(bids.c.lot_id == self.lot_id))
            return [str(i) for (i,) in rows]

    def accepted_ids(self) -> set[str]:
        return {b.bid_id for a in self.accepted for b in a.placed}

    async def wait_stored(self, seconds: float) -> float:
        """Until the database holds every accepted bid; returns how long that took."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            with contextlib.suppress(Exception):  # the database still starting
                if set(await self.stored()) >= self.accepted_ids():
                    return time.monotonic() - started
            await asyncio.sleep(0.05)
        raise AssertionError(f"the writer did not store every accepted bid within {seconds} s")


@pytest.fixture
def database(private_mariadb: PrivateMariaDB) -> str:
    url = private_mariadb.create_database("writer")
    upgrade(url)
    return url


@pytest.fixture
async def rig(database: str, redis_url: str, redis_prefix: str) -> AsyncIterator[Rig]:
    # The fault scenario's timeouts: a stopped database fails a round within seconds.
    engine = create_engine(database, timeout=2, read_timeout=2)
    redis = create_redis(redis_url)
    gate, log = RedisBidGate(redis, prefix=redis_prefix), RedisBidLog(redis, prefix=redis_prefix)
    sessions = session_factory(engine)
    service = BiddingService(
        gate=gate,
        log=log,
        uow=lambda: SqlBiddingUnitOfWork(sessions),
        lots=_NoFacts(),
        clock=SystemClock(),
        max_krw=1_000_000_000,
        extension_ms=0,
    )
    lot_id = 7
    await gate.prime(_lot(lot_id), {})
    try:
        yield Rig(gate, log, service, engine, redis, redis_prefix, lot_id, [])
    finally:
        await redis.aclose()
        await engine.dispose()


async def _writer(rig: Rig, name: str, stop: asyncio.Event) -> asyncio.Task[None]:
    return asyncio.create_task(rig.service.run_writer(name, stop, stale_ms=PRODUCTION_CLAIM_MS))


async def _trickle(rig: Rig) -> None:
    while True:
        await asyncio.sleep(0.5)
        await rig.bid()


async def _no_doubles(rig: Rig) -> None:
    stored = await rig.stored()
    assert len(stored) == len(set(stored)), "a bid stored twice"
    assert set(stored) == rig.accepted_ids(), "the database holds exactly the accepted bids"
    async with rig.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(bids))).scalar_one()
    assert total == len(stored)


async def test_writers_catch_up_within_seconds_of_the_database_coming_back(
    rig: Rig, private_mariadb: PrivateMariaDB
) -> None:
    stop = asyncio.Event()
    writers = [await _writer(rig, "w1", stop), await _writer(rig, "w2", stop)]
    try:
        await rig.bid()
        await rig.wait_stored(10)

        await asyncio.to_thread(private_mariadb.stop)
        for _ in range(30):  # accepted by the gate while the database is down
            await rig.bid()
            await asyncio.sleep(0.05)
        await asyncio.sleep(3)  # every writer has read its share and failed to store it
        pending: Any = await rig.redis.xpending(bid_log_key(rig.prefix), GROUP)
        assert pending["pending"] >= 1, "the writers read the bids and hold them pending"

        await asyncio.to_thread(private_mariadb.start)
        trickle = asyncio.create_task(_trickle(rig))  # bidding goes on, as it would
        try:
            caught_up_s = await rig.wait_stored(PRODUCTION_CLAIM_MS / 1000 + 30)
        finally:
            trickle.cancel()
            await asyncio.gather(trickle, return_exceptions=True)
        print(f"catch-up after the database came back: {caught_up_s:.2f} s ({len(rig.accepted)} bids)")
        assert caught_up_s < CATCH_UP_LIMIT_S, f"caught up only after {caught_up_s:.1f} s"
        await rig.wait_stored(5)
        await _no_doubles(rig)
    finally:
        stop.set()
        await asyncio.gather(*writers)
    await _no_doubles(rig)
    pending = await rig.redis.xpending(bid_log_key(rig.prefix), GROUP)
    assert pending["pending"] == 0


async def test_poison_entries_are_moved_aside_and_never_block_the_log(rig: Rig) -> None:
    stop = asyncio.Event()
    writer = await _writer(rig, "w1", stop)
    key = bid_log_key(rig.prefix)
    try:
        first = await rig.bid()
        await rig.wait_stored(10)
        # Undecodable: not a placement at all.
        garbage = await rig.redis.xadd(key, {"lot": rig.lot_id, "b": 2, "m": 1, "t": 1, "j": "{not json"})
        # Decodable, but its bid takes a (lot, seq) another bid holds: a constraint no replay explains.
        clash = first.placed[0]
        twin = Acceptance(
            first.outcome,
            (PlacedBid(uuid.uuid4().hex, clash.bidder, clash.amount, clash.seq, clash.proxy),),
            first.state,
            first.extended,
        )
        payload = encode_placement(twin, (1,))
        fields = {"lot": rig.lot_id, "b": clash.bidder, "m": clash.amount, "t": 1, "j": payload}
        poison = await rig.redis.xadd(key, fields)
        # Later bids keep arriving, and each is stored although the poison sits before them.
        started = time.monotonic()
        for _ in range(POISON_ATTEMPTS + 3):
            await rig.bid()
            assert await rig.wait_stored(5) < 5
            await asyncio.sleep(0.3)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and await rig.redis.xlen(dead_letter_key(rig.prefix)) < 2:
            await rig.bid()
            await asyncio.sleep(0.3)
        print(f"poison moved aside within {time.monotonic() - started:.1f} s")
        await rig.wait_stored(5)
    finally:
        stop.set()
        await writer
    dead = await rig.redis.xrange(dead_letter_key(rig.prefix))
    assert sorted(f[b"entry"] for _, f in dead) == sorted([garbage, poison])
    assert all(f[b"reason"] for _, f in dead)
    assert rig.service.dead_lettered == 2
    pending: Any = await rig.redis.xpending(key, GROUP)
    assert pending["pending"] == 0, "nothing left pending: the poison left the log"
    await _no_doubles(rig)
