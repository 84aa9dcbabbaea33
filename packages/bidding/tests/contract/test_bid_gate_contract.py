"""The bid gate's contract, in process, on Redis (one Lua script) and on MariaDB row locks.

Same rules, same answers.
"""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from sagopalgo.bidding.adapters.memory import MemoryBidGate, MemoryBidLog
from sagopalgo.bidding.adapters.redis import RedisBidGate, RedisBidLog
from sagopalgo.bidding.adapters.sql.gate import SqlBidGate, SqlBidLog
from sagopalgo.bidding.adapters.sql.tables import gate_aliases, gate_idempotency, gate_log, gate_lots
from sagopalgo.bidding.domain.errors import (
    AlreadyLeading,
    BidOverLimit,
    BidTooLow,
    IdempotencyKeyReused,
    LotNotOpen,
    OwnLot,
)
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot, judge, minimum_next
from sagopalgo.bidding.ports import BidGate, BidLog, GateMiss, Idempotency
from sagopalgo.kernel.errors import DomainError
from sagopalgo.platform.sql import create_engine
from sagopalgo.realtime.adapters.memory import MemoryLotEventLog
from sagopalgo.realtime.adapters.redis import RedisLotEventLog
from sagopalgo.realtime.ports import LotEventLog

OPEN, CLOSE, CAP = 1_800_000_000_000, 1_800_000_032_400_000, 1_800_000_034_200_000
LOT = GateLot(
    lot_id=1,
    seller_id=9,
    start_price=10_000,
    increment=1_000,
    opens_ms=OPEN,
    closes_ms=CLOSE,
    hard_cap_ms=CAP,
    extended_bidding=True,
    extension_ms=180_000,
    max_krw=1_000_000_000_000,
)


@dataclass
class Rig:
    gate: BidGate
    log: BidLog
    events: LotEventLog
    forget: Any


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.integration),
        # MariaDB only: the row-lock gate serialises on SELECT ... FOR UPDATE, and SQLite has no row locks.
        pytest.param("sql", marks=pytest.mark.integration),
    ]
)
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The kind of gate and its server's URL (resolved here: migrating MariaDB needs no running loop)."""
    match request.param:
        case "redis":
            return "redis", str(request.getfixturevalue("redis_url"))
        case "sql":
            return "sql", str(request.getfixturevalue("mariadb_url"))
    return "memory", ""


@pytest.fixture
async def rig(backend: tuple[str, str], request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    kind, url = backend
    if kind == "memory":
        log, events = MemoryBidLog(), MemoryLotEventLog()
        gate = MemoryBidGate(log, events)
        yield Rig(gate, log, events, gate.forget)
        return
    if kind == "sql":
        async with _sql_rig(url) as sql_rig:
            yield sql_rig
        return
    redis = Redis.from_url(url)
    prefix = request.getfixturevalue("redis_prefix")
    gate = RedisBidGate(redis, prefix=prefix)
    try:
        yield Rig(
            gate, RedisBidLog(redis, prefix=prefix), RedisLotEventLog(redis, prefix=prefix), gate.forget
        )
    finally:
        await redis.aclose()


@asynccontextmanager
async def _sql_rig(url: str) -> AsyncIterator[Rig]:
    """The worker's own database; its gate tables are emptied around each test (tests reuse lot ids)."""
    engine = create_engine(url)

    async def empty() -> None:
        async with engine.begin() as conn:
            for table in (gate_lots, gate_aliases, gate_idempotency, gate_log):
                await conn.execute(table.delete())

    await empty()
    events = MemoryLotEventLog()
    gate = SqlBidGate(engine, events)
    try:
        yield Rig(gate, SqlBidLog(engine), events, gate.forget)
    finally:
        await empty()
        await engine.dispose()


def bid(bidder: int, amount: int, max_amount: int | None = None, at: int = OPEN + 1) -> BidRequest:
    return BidRequest(
        bidder, amount, max_amount or amount, at, (uuid.uuid4().hex, uuid.uuid4().hex), max_amount is not None
    )


async def test_a_lot_the_gate_does_not_know_is_a_miss(rig: Rig) -> None:
    with pytest.raises(GateMiss):
        await rig.gate.place(77, bid(1, 10_000), None)


async def test_priming_never_overwrites_a_live_lot(rig: Rig) -> None:
    assert await rig.gate.prime(LOT, {})
    await rig.gate.place(1, bid(1, 10_000), None)
    assert not await rig.gate.prime(LOT, {})
    state = await rig.gate.state(1)
    assert state is not None
    assert (state.price, state.count, state.leader) == (10_000, 1, 1)


async def test_priming_replaces_a_frozen_lot_for_its_next_auction(rig: Rig) -> None:
    """A relisted lot opens again: the state its last close froze gives way to the new window."""
    await rig.gate.prime(LOT, {})
    await rig.gate.place(1, bid(1, 10_000), None)
    await rig.gate.freeze(1)
    day = 86_400_000
    relisted = replace(
        LOT, opens_ms=OPEN + 2 * day, closes_ms=CLOSE + 2 * day, hard_cap_ms=CAP + 2 * day, seq=1
    )
    assert await rig.gate.prime(relisted, {1: 1})
    assert await rig.gate.state(1) == relisted
    accepted = await rig.gate.place(1, bid(2, 10_000, at=OPEN + 2 * day + 1), None)
    assert (accepted.state.count, accepted.state.seq, accepted.placed[0].seq) == (1, 2, 2)
    assert not await rig.gate.prime(relisted, {})  # taking bids again: never overwritten


async def test_accepted_bids_are_logged_and_published_refused_ones_touch_nothing(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    first = await rig.gate.place(1, bid(1, 10_000, 15_000), None)
    second = await rig.gate.place(1, bid(2, 12_000), None)
    assert [(b.bidder, b.amount) for b in second.placed] == [(2, 12_000), (1, 13_000)]
    before = await rig.gate.state(1)
    refusals: list[tuple[BidRequest, type[DomainError]]] = [
        (bid(3, 13_000), BidTooLow),
        (bid(9, 20_000), OwnLot),
        (bid(1, 14_000), AlreadyLeading),
        (bid(3, 2_000_000_000_000), BidOverLimit),
        (bid(3, 20_000, at=CLOSE), LotNotOpen),
        (bid(3, 20_000, at=OPEN - 1), LotNotOpen),
    ]
    for request, refusal in refusals:
        with pytest.raises(refusal):
            await rig.gate.place(1, request, None)
    assert await rig.gate.state(1) == before

    entries = await rig.log.read("w1", 100, 10)
    assert [e.acceptance for e in entries] == [first, second]
    assert entries[1].aliases == (2, 1)
    events = await rig.events.since(1, None, 100)
    assert [(e.type, e.data["amount"], e.data["bidCount"], e.data["bidder"]) for e in events] == [
        ("bid", 10_000, 1, "Bidder 1"),
        ("bid", 12_000, 2, "Bidder 2"),
        ("bid", 13_000, 3, "Bidder 1"),
    ]
    assert "maxAmount" not in str([e.data for e in events])  # nobody sees a maximum


async def test_a_repeated_key_returns_the_first_answer_and_another_body_is_refused(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    key = Idempotency("k-1", "fingerprint-a")
    first = await rig.gate.place(1, bid(1, 10_000), key)
    again = await rig.gate.place(1, bid(1, 10_000), key)
    assert again == first
    with pytest.raises(IdempotencyKeyReused):
        await rig.gate.place(1, bid(1, 11_000), Idempotency("k-1", "fingerprint-b"))
    assert len(await rig.log.read("w1", 100, 10)) == 1
    other_user = await rig.gate.place(1, bid(2, 11_000), Idempotency("k-1", "fingerprint-b"))
    assert other_user.state.count == 2


async def test_soft_close_is_announced_and_enforced(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    late = await rig.gate.place(1, bid(1, 10_000, at=CLOSE - 60_000), None)
    assert (late.extended, late.state.closes_ms) == (True, CLOSE + 120_000)
    status = [e for e in await rig.events.since(1, None, 100) if e.type == "status"]
    assert [e.data["closesAtMs"] for e in status] == [CLOSE + 120_000]
    assert (await rig.gate.place(1, bid(2, 11_000, at=CLOSE + 1_000), None)).state.count == 2
    with pytest.raises(LotNotOpen):
        await rig.gate.place(1, bid(3, 50_000, at=CAP), None)


async def test_a_frozen_lot_takes_no_more_bids(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    await rig.gate.place(1, bid(1, 10_000), None)
    final = await rig.gate.freeze(1)
    assert final is not None
    assert (final.frozen, final.price) == (True, 10_000)
    with pytest.raises(LotNotOpen):
        await rig.gate.place(1, bid(2, 11_000), None)


async def test_an_unacknowledged_entry_is_claimed_by_another_writer(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    await rig.gate.place(1, bid(1, 10_000), None)
    taken = await rig.log.read("dies", 10, 10)
    assert len(taken) == 1
    assert await rig.log.read("lives", 10, 10) == []
    await asyncio.sleep(0.05)
    claimed = await rig.log.claim_stale("lives", 20, 10)
    assert [e.entry_id for e in claimed] == [taken[0].entry_id]
    await rig.log.ack([claimed[0].entry_id])
    await asyncio.sleep(0.05)
    assert await rig.log.claim_stale("lives", 20, 10) == []


async def test_a_writer_reads_its_own_pending_entries_again_and_no_one_else_does(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    first = await rig.gate.place(1, bid(1, 10_000), None)
    second = await rig.gate.place(1, bid(2, 11_000), None)
    taken = await rig.log.read("failed", 10, 10)
    assert [e.acceptance for e in taken] == [first, second]
    assert await rig.log.pending("other", 10) == []
    again = await rig.log.pending("failed", 10)
    assert [e.entry_id for e in again] == [e.entry_id for e in taken], "oldest first"
    assert [e.entry_id for e in await rig.log.pending("failed", 1)] == [taken[0].entry_id]
    await rig.log.ack([taken[0].entry_id])
    assert [e.entry_id for e in await rig.log.pending("failed", 10)] == [taken[1].entry_id]
    # Re-reading its own entries keeps them its own: a live writer's retries are not "stale".
    assert await rig.log.claim_stale("other", 60_000, 10) == []


async def test_a_read_that_must_not_block_returns_at_once(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    started = asyncio.get_running_loop().time()
    assert await asyncio.wait_for(rig.log.read("writer", 10, 0), 2) == []
    assert asyncio.get_running_loop().time() - started < 1


async def test_a_dead_lettered_entry_leaves_the_log_for_good(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})
    await rig.gate.place(1, bid(1, 10_000), None)
    kept = await rig.gate.place(1, bid(2, 11_000), None)
    poison, good = await rig.log.read("writer", 10, 10)
    await rig.log.dead_letter(poison, "a test says so")
    assert rig.log.dead_lettered == 1
    assert [e.entry_id for e in await rig.log.pending("writer", 10)] == [good.entry_id]
    await asyncio.sleep(0.05)
    assert [e.acceptance for e in await rig.log.claim_stale("other", 20, 10)] == [kept]
    assert await rig.log.read("third", 10, 10) == []
    assert await rig.log.pending("writer", 10) == []


async def test_the_gate_agrees_with_the_rules_on_random_storms(rig: Rig) -> None:
    """Differential test: every answer of the adapter equals the pure rules' answer."""
    rng = random.Random(7)
    for lot_id in range(100, 106):
        expected = replace(LOT, lot_id=lot_id, extended_bidding=rng.random() < 0.5)
        await rig.gate.prime(expected, {})
        for step in range(80):
            bidder = rng.randint(1, 5) if rng.random() < 0.9 else 9
            floor = minimum_next(expected)
            amount = floor + rng.choice([-1_000, 0, 0, 500, 3_000])
            maximum = amount + rng.choice([0, 0, 1_000, 7_000, 40_000, -1])
            at = rng.choice([OPEN + step * 1_000, CLOSE - 100_000 + step * 1_000])
            request = bid(bidder, amount, maximum if rng.random() < 0.6 else None, at=at)
            try:
                want: Any = judge(expected, request)
            except DomainError as exc:
                want = (type(exc), exc.extra)
            try:
                got: Any = await rig.gate.place(lot_id, request, None)
            except DomainError as exc:
                got = (type(exc), exc.extra)
            assert got == want, (lot_id, step, request)
            if not isinstance(want, tuple):
                expected = want.state
        assert await rig.gate.state(lot_id) == expected


async def test_concurrent_bidders_never_push_a_price_backwards(rig: Rig) -> None:
    await rig.gate.prime(LOT, {})

    async def bidder(who: int) -> int:
        accepted = 0
        for _ in range(10):
            state = await rig.gate.state(1)
            assert state is not None
            try:
                result = await rig.gate.place(1, bid(who, minimum_next(state)), None)
                accepted += len(result.placed)  # a leader's repeat only raises their maximum
            except (BidTooLow, AlreadyLeading):
                pass
        return accepted

    accepted = sum(await asyncio.gather(*(bidder(who) for who in range(11, 31))))
    entries = await rig.log.read("w", 1_000, 10)
    amounts = [b.amount for e in entries for b in e.acceptance.placed]
    assert len(amounts) == accepted > 10
    assert amounts == sorted(set(amounts))
    state = await rig.gate.state(1)
    assert state is not None
    assert (state.price, state.count) == (amounts[-1], accepted)


async def test_a_rebuilt_lot_keeps_its_aliases_and_numbers_newcomers_after_them(rig: Rig) -> None:
    rebuilt = replace(LOT, price=10_000, count=2, leader=5, leader_max=10_000, seq=2)
    await rig.gate.prime(rebuilt, {5: 1, 6: 2})
    await rig.gate.place(1, bid(6, 11_000), None)
    await rig.gate.place(1, bid(7, 12_000), None)
    entries = await rig.log.read("w", 100, 10)
    assert [e.aliases for e in entries] == [(2,), (3,)]
    events = await rig.events.since(1, None, 100)
    assert [e.data["bidder"] for e in events] == ["Bidder 2", "Bidder 3"]


class _Witness(MemoryLotEventLog):
    """An event log that looks, from a connection of its own, at what the gate has committed."""

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[tuple[int, int]] = []  # (bid count in the event, placements committed by then)

    async def publish(self, lot_id: int, type_: str, data: Any) -> str:
        async with self.engine.connect() as conn:
            committed = (
                await conn.execute(
                    select(func.count()).select_from(gate_log).where(gate_log.c.lot_id == lot_id)
                )
            ).scalar_one()
        self.seen.append((int(data.get("bidCount", -1)), int(committed)))
        return await super().publish(lot_id, type_, data)


async def test_the_row_lock_gate_tells_clients_of_a_bid_only_once_it_is_committed(mariadb_url: str) -> None:
    """The original published a price before its database write (defects 3 and 13): a write that
    then failed left clients told of a bid that never existed. The Redis gate judges, logs and
    publishes in one script; the row-lock gate must publish after its commit, in gate order."""
    async with _sql_rig(mariadb_url) as rig:
        engine = rig.gate._engine  # type: ignore[attr-defined]
        witness = _Witness(engine)
        gate = SqlBidGate(engine, witness)
        await gate.prime(LOT, {})
        await gate.place(1, bid(1, 10_000, 15_000), None)
        placed = await asyncio.gather(
            *(gate.place(1, bid(who, 20_000 + who * 1_000), None) for who in range(2, 8)),
            return_exceptions=True,
        )
        assert all(isinstance(p, Acceptance | BidTooLow) for p in placed), placed
        assert witness.seen[0] == (1, 1), witness.seen  # the first bid, heard once it was committed
        assert witness.seen, "no event was published"
        assert all(committed >= 1 for _, committed in witness.seen), witness.seen
        counts = [count for count, _ in witness.seen]
        events = await witness.since(1, None, 100)
        assert [e.data["bidCount"] for e in events if e.type == "bid"] == sorted(counts)
        amounts = [e.data["amount"] for e in events if e.type == "bid"]
        assert amounts == sorted(amounts)
