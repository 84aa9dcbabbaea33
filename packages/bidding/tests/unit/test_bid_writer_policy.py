"""The bid-log writer's retry policy, in process: outages back off quietly, poison is moved aside.

The database is a fake that can be "down" (raising the kernel's ``Unavailable``, as the SQL
adapters do for a database that cannot be reached) or refuse given bids (a constraint violation),
so the policy is tested without a server; ``tests/faults/test_bid_writer_catch_up.py`` proves it
on a real MariaDB that is stopped and started.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import pytest

from sagopalgo.bidding.adapters.memory import MemoryBidGate, MemoryBidLog
from sagopalgo.bidding.application.service import POISON_ATTEMPTS, BiddingService, WriterStalled
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot
from sagopalgo.bidding.ports import LogEntry, LotFacts
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.kernel.errors import Unavailable
from sagopalgo.realtime.adapters.memory import MemoryLotEventLog

OPEN = 1_800_000_000_000
LOT = GateLot(
    lot_id=1,
    seller_id=9,
    start_price=10_000,
    increment=1_000,
    opens_ms=OPEN,
    closes_ms=OPEN + 3_600_000,
    hard_cap_ms=OPEN + 3_600_000,
    extended_bidding=False,
    extension_ms=0,
    max_krw=1_000_000_000,
)


class FakeDatabase:
    def __init__(self) -> None:
        self.down = False
        self.refused: set[str] = set()
        """Bid ids whose write violates a constraint."""
        self.broken = False
        """Every write fails (a bug or a schema mismatch, not an outage)."""
        self.rows: list[str] = []
        self.attempts = 0

    async def record_many(self, entries: list[LogEntry]) -> int:
        self.attempts += 1
        if self.down:
            raise Unavailable("The database is unavailable: OperationalError.")
        if self.broken:
            raise RuntimeError("no such table")
        ids = [b.bid_id for e in entries for b in e.acceptance.placed]
        if refused := self.refused.intersection(ids):
            raise ValueError(f"duplicate key for {sorted(refused)}")
        fresh = [i for i in ids if i not in self.rows]
        self.rows += fresh
        return len(fresh)


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self.bids = db

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def commit(self) -> None:
        return None


class NoFacts:
    async def facts(self, lot_id: int) -> LotFacts | None:
        return None


class Rig:
    def __init__(self) -> None:
        self.db = FakeDatabase()
        self.log = MemoryBidLog()
        self.gate = MemoryBidGate(self.log, MemoryLotEventLog())
        self.service = BiddingService(
            gate=self.gate,
            log=self.log,
            uow=lambda: FakeUnitOfWork(self.db),  # type: ignore[arg-type,return-value]
            lots=NoFacts(),
            clock=ManualClock(datetime.fromtimestamp(OPEN / 1000, UTC)),
            max_krw=LOT.max_krw,
            extension_ms=0,
        )
        self.amount = LOT.start_price
        self.accepted: list[Acceptance] = []

    async def bid(self) -> Acceptance:
        bidder = 1 + len(self.accepted) % 2
        request = BidRequest(bidder, self.amount, self.amount, OPEN + 1, (uuid.uuid4().hex, uuid.uuid4().hex))
        self.amount += LOT.increment
        accepted = await self.gate.place(LOT.lot_id, request, None)
        self.accepted.append(accepted)
        return accepted

    def ids(self, acceptances: list[Acceptance]) -> list[str]:
        return [b.bid_id for a in acceptances for b in a.placed]


@pytest.fixture
async def rig() -> Rig:
    made = Rig()
    await made.gate.prime(LOT, {})
    return made


async def _until(check: Any, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached in time")


async def test_an_outage_logs_one_warning_and_one_recovery_and_backs_off(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sagopalgo.bidding")
    stop = asyncio.Event()
    writer = asyncio.create_task(
        rig.service.run_writer("w", stop, stale_ms=30_000, block_ms=20, backoff_ms=(10, 80))
    )
    try:
        rig.db.down = True
        for _ in range(20):
            await rig.bid()
        await asyncio.sleep(0.6)
        tried_while_down = rig.db.attempts
        # Backing off: at most one try per 80 ms after the first few, not a busy loop, and never
        # one transaction per entry (20 entries).
        assert 3 <= tried_while_down <= 16
        assert rig.db.rows == []
        rig.db.down = False
        await _until(lambda: len(rig.db.rows) == 20, 2)
    finally:
        stop.set()
        await writer
    assert rig.db.rows == rig.ids(rig.accepted), "each once, in order"
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 2, lines
    (level1, first), (level2, second) = lines
    assert level1 == "WARNING"
    assert "cannot write" in first
    assert "unavailable" in first
    assert level2 == "INFO"
    assert "writing again" in second


async def test_own_pending_entries_come_back_before_any_claim_time(rig: Rig) -> None:
    await rig.bid()
    rig.db.down = True
    with pytest.raises(Unavailable):
        await rig.service.write_log("w", block_ms=0, stale_ms=3_600_000)
    rig.db.down = False
    assert await rig.service.write_log("w", block_ms=0, stale_ms=3_600_000) == 1
    assert rig.db.rows == rig.ids(rig.accepted)


async def test_a_poison_entry_never_holds_back_the_rest_and_is_moved_aside(rig: Rig) -> None:
    poison = await rig.bid()
    rig.db.refused = set(rig.ids([poison]))
    stop = asyncio.Event()
    writer = asyncio.create_task(
        rig.service.run_writer("w", stop, stale_ms=30_000, block_ms=20, backoff_ms=(10, 40))
    )
    try:
        for _ in range(POISON_ATTEMPTS + 2):
            later = await rig.bid()
            await _until(lambda later=later: set(rig.ids([later])) <= set(rig.db.rows), 1)
        await _until(lambda: rig.log.dead_lettered == 1)
    finally:
        stop.set()
        await writer
    ((entry, reason),) = rig.log.dead
    assert entry.acceptance == poison
    assert reason.startswith(f"failed {POISON_ATTEMPTS} times: ValueError")
    assert rig.service.dead_lettered == 1
    assert rig.db.rows == rig.ids(rig.accepted[1:])
    assert await rig.log.pending("w", 10) == []


async def test_an_error_that_fails_every_entry_condemns_none(rig: Rig) -> None:
    """A bug or a schema mismatch is not poison: nothing is moved aside, everything waits."""
    rig.db.broken = True
    for _ in range(3):
        await rig.bid()
    for _ in range(POISON_ATTEMPTS * 2):
        with pytest.raises(WriterStalled):
            await rig.service.write_log("w", block_ms=0)
    assert rig.log.dead == []
    rig.db.broken = False
    assert await rig.service.write_log("w", block_ms=0) == 3
    assert rig.db.rows == rig.ids(rig.accepted)
