"""The bid writer stores a round of log entries at once, on SQLite and on MariaDB (``engine``).

A round can hold several lots, entries out of order (a claimed entry from a dead writer arrives
after newer ones) and entries stored before (a replay after a crash between commit and ack). Each
bid must land exactly once and each lot's persisted state must be its newest, whatever the order.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.bidding.adapters.sql.repository import SqlBiddingUnitOfWork
from sagopalgo.bidding.domain.gate import BidRequest, GateLot, judge
from sagopalgo.bidding.ports import LogEntry
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.sql import session_factory

NOW = 1_800_000_000_000


def _lot(lot_id: int) -> GateLot:
    return GateLot(
        lot_id=lot_id,
        seller_id=lot_id + 9,
        start_price=10_000,
        increment=1_000,
        opens_ms=NOW - 60_000,
        closes_ms=NOW + 3_600_000,
        hard_cap_ms=NOW + 3_600_000,
        extended_bidding=False,
        extension_ms=0,
        max_krw=1_000_000_000,
    )


def _entries(lot_id: int, bids: int) -> list[LogEntry]:
    """``bids`` accepted bids on a fresh lot, alternating between two bidders, in gate order."""
    state, entries = _lot(lot_id), []
    for n in range(bids):
        bidder = lot_id + 1 + n % 2
        amount = 10_000 + 1_000 * n
        ids = (uuid.uuid4().hex, uuid.uuid4().hex)
        acceptance = judge(state, BidRequest(bidder, amount, amount, NOW + n, ids))
        state = acceptance.state
        entries.append(LogEntry(f"{lot_id}-{n}", lot_id, bidder, amount, NOW + n, acceptance, (n % 2 + 1,)))
    return entries


async def test_a_round_lands_each_bid_once_and_each_lot_at_its_newest_state(engine: AsyncEngine) -> None:
    base = uuid.uuid4().int % 10**12 * 10
    a, b = _entries(base, 5), _entries(base + 5, 3)
    sessions = session_factory(engine)

    async with SqlBiddingUnitOfWork(sessions) as tx:  # an earlier round stored a's first two
        assert await tx.bids.record_many(a[:2]) == 2
        await tx.commit()

    # This round replays those two, carries a's newest entry before its older ones, and mixes lots.
    mixed = [a[4], b[1], a[0], b[0], a[2], a[1], b[2], a[3]]
    async with SqlBiddingUnitOfWork(sessions) as tx:
        assert await tx.bids.record_many(mixed) == 6
        await tx.commit()
    async with SqlBiddingUnitOfWork(sessions) as tx:  # the whole round again: nothing is new
        assert await tx.bids.record_many(mixed) == 0
        await tx.commit()

    async with SqlBiddingUnitOfWork(sessions) as tx:
        for entries in (a, b):
            lot_id = entries[0].lot_id
            history = await tx.bids.history(lot_id, PageRequest(size=50))
            assert [item.amount for item in history.items] == [
                e.acceptance.placed[0].amount for e in reversed(entries)
            ]
            rebuilt, aliases = await tx.bids.rebuild(lot_id)
            newest = entries[-1].acceptance.state
            assert rebuilt is not None
            assert (rebuilt.seq, rebuilt.price, rebuilt.count, rebuilt.leader) == (
                newest.seq,
                newest.price,
                newest.count,
                newest.leader,
            )
            assert aliases == {lot_id + 1: 1, lot_id + 2: 2}
