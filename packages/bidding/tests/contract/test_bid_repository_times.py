"""The SQL bid store keeps bid times to the millisecond, on SQLite and on MariaDB (``database_url``).

An auction house orders and shows bids by when they were placed; a bare MariaDB ``DATETIME``
dropped the fractions, so the two deployments disagreed and a rebuilt gate closed early.
"""

import uuid
from datetime import UTC, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.bidding.adapters.sql.repository import SqlBiddingUnitOfWork, from_ms
from sagopalgo.bidding.domain.gate import BidRequest, GateLot, judge
from sagopalgo.bidding.ports import LogEntry
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.sql import session_factory

SECOND = 1_800_000_000_000  # a whole second, in ms


def _ids() -> tuple[int, int, int]:
    """A lot and two bidders of this test's own (the MariaDB database is shared by a worker's tests)."""
    base = uuid.uuid4().int % 10**12 * 10
    return base, base + 1, base + 2


async def test_bid_times_and_closing_time_keep_their_milliseconds(engine: AsyncEngine) -> None:
    lot_id, first, second = _ids()
    lot = GateLot(
        lot_id=lot_id,
        seller_id=lot_id + 9,
        start_price=10_000,
        increment=1_000,
        opens_ms=SECOND - 60_000,
        closes_ms=SECOND + 60_000,  # within the extension: each bid moves the close to the millisecond
        hard_cap_ms=SECOND + 3_600_000,
        extended_bidding=True,
        extension_ms=180_000,
        max_krw=1_000_000_000,
    )
    sessions = session_factory(engine)
    placements = [(first, 10_000, SECOND + 123), (second, 11_000, SECOND + 456)]
    state, entries = lot, []
    for n, (bidder, amount, at_ms) in enumerate(placements):
        bid_ids = (uuid.uuid4().hex, uuid.uuid4().hex)
        acceptance = judge(state, BidRequest(bidder, amount, amount, at_ms, bid_ids))
        state = acceptance.state
        entries.append(LogEntry(f"e{n}", lot_id, bidder, amount, at_ms, acceptance, (n + 1,)))
    assert state.closes_ms == SECOND + 456 + 180_000

    for entry in entries:
        async with SqlBiddingUnitOfWork(sessions) as tx:
            assert await tx.bids.record(entry)
            await tx.commit()

    async with SqlBiddingUnitOfWork(sessions) as tx:
        history = await tx.bids.history(lot_id, PageRequest())
        mine = await tx.bids.mine(first, PageRequest())
        rebuilt, _aliases = await tx.bids.rebuild(lot_id)

    assert [item.placed_at for item in history.items] == [from_ms(SECOND + 456), from_ms(SECOND + 123)]
    assert [item.placed_at for item in mine.items] == [from_ms(SECOND + 123)]
    for item in [*history.items, *mine.items]:
        assert item.placed_at.tzinfo is not None
        assert item.placed_at.utcoffset() == timedelta(0)
        assert item.placed_at.astimezone(UTC).microsecond in (123_000, 456_000)
    assert rebuilt is not None
    assert rebuilt.closes_ms == state.closes_ms
