"""The SQL bid store: idempotent writes of logged placements, history, and the gate's rebuild."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sagopalgo.bidding.adapters.sql.awards import SqlAwardRepository, SqlDayRunJournal
from sagopalgo.bidding.adapters.sql.tables import bids, lot_states
from sagopalgo.bidding.domain.gate import GateLot
from sagopalgo.bidding.ports import BidHistoryItem, LogEntry, MyBid
from sagopalgo.kernel.paging import Page, PageRequest
from sagopalgo.platform.sql import SqlUnitOfWork, outage_as_unavailable

__all__ = ["SqlBidRepository", "SqlBiddingUnitOfWork", "from_ms", "to_ms"]


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def to_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


class SqlBidRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(self, entry: LogEntry) -> bool:
        return await self.record_many([entry]) == 1

    async def record_many(self, entries: list[LogEntry]) -> int:
        """Store a round of entries in a fixed number of statements, whatever the round's size.

        One query finds the entries stored before (a replayed or reclaimed entry: its bids are all
        there or none is, since an entry is written in one transaction), one multi-row insert adds
        the new bids, and each lot's state moves once, to the newest state the round carries.
        A database that cannot be reached raises ``Unavailable`` (the writer's cue to back off).
        """
        with outage_as_unavailable():
            return await self._record_many(entries)

    async def _record_many(self, entries: list[LogEntry]) -> int:
        ids = [b.bid_id for e in entries for b in e.acceptance.placed]
        known: set[str] = set()
        if ids:
            found = await self._s.execute(select(bids.c.id).where(bids.c.id.in_(ids)))
            known = {str(i) for (i,) in found}
        fresh = [e for e in entries if not any(b.bid_id in known for b in e.acceptance.placed)]
        rows = [
            {
                "id": b.bid_id,
                "lot_id": e.lot_id,
                "seq": b.seq,
                "bidder_id": b.bidder,
                "alias": alias,
                "amount": b.amount,
                "proxy": b.proxy,
                "placed_at": from_ms(e.placed_at_ms),
            }
            for e in fresh
            for b, alias in zip(e.acceptance.placed, e.aliases, strict=True)
        ]
        if rows:
            await self._s.execute(insert(bids), rows)
        newest: dict[int, LogEntry] = {}
        for e in fresh:
            held = newest.get(e.lot_id)
            if held is None or e.acceptance.state.seq > held.acceptance.state.seq:
                newest[e.lot_id] = e
        for e in newest.values():
            await self._move_state(e)
        return len(fresh)

    async def _move_state(self, entry: LogEntry) -> None:
        state = entry.acceptance.state
        values = {
            "seq": state.seq,
            "price": state.price,
            "bid_count": state.count,
            "leader_id": state.leader,
            "leader_max": state.leader_max,
            "closes_at": from_ms(state.closes_ms),
        }
        # Only a newer state replaces an older one: entries may be written out of order after a claim.
        moved = await self._s.execute(
            update(lot_states)
            .where(and_(lot_states.c.lot_id == entry.lot_id, lot_states.c.seq < state.seq))
            .values(**values)
        )
        if moved.rowcount == 0:  # type: ignore[attr-defined]
            exists = await self._s.execute(
                select(lot_states.c.seq).where(lot_states.c.lot_id == entry.lot_id)
            )
            if exists.first() is None:
                # Two writers inserting a lot's first state at once: the loser's transaction fails,
                # its entries stay unacknowledged and are written (as already known) on the next round.
                await self._s.execute(insert(lot_states).values(lot_id=entry.lot_id, **values))

    async def rebuild(self, lot_id: int) -> tuple[GateLot | None, dict[int, int]]:
        row = (await self._s.execute(select(lot_states).where(lot_states.c.lot_id == lot_id))).first()
        aliases = await self._s.execute(
            select(bids.c.bidder_id, func.min(bids.c.alias))
            .where(bids.c.lot_id == lot_id)
            .group_by(bids.c.bidder_id)
        )
        mapping = {int(bidder): int(alias) for bidder, alias in aliases}
        if row is None:
            return None, mapping
        # Only the dynamic part matters: the caller merges it into the catalog's facts.
        state = GateLot(
            lot_id=lot_id,
            seller_id=0,
            start_price=0,
            increment=0,
            opens_ms=0,
            closes_ms=to_ms(row.closes_at),
            hard_cap_ms=0,
            extended_bidding=False,
            extension_ms=0,
            max_krw=0,
            price=row.price,
            count=row.bid_count,
            leader=row.leader_id,
            leader_max=row.leader_max,
            seq=row.seq,
        )
        return state, mapping

    async def history(self, lot_id: int, page: PageRequest) -> Page[BidHistoryItem]:
        total = (
            await self._s.execute(select(func.count()).select_from(bids).where(bids.c.lot_id == lot_id))
        ).scalar_one()
        rows = await self._s.execute(
            select(bids.c.amount, bids.c.placed_at, bids.c.alias)
            .where(bids.c.lot_id == lot_id)
            .order_by(bids.c.seq.desc())
            .limit(page.size)
            .offset(page.offset)
        )
        return Page(
            [BidHistoryItem(r.amount, r.placed_at, r.alias) for r in rows], page.page, page.size, total
        )

    async def mine(self, bidder: int, page: PageRequest) -> Page[MyBid]:
        where = bids.c.bidder_id == bidder
        total = (await self._s.execute(select(func.count()).select_from(bids).where(where))).scalar_one()
        rows: Any = await self._s.execute(
            select(bids.c.lot_id, bids.c.amount, bids.c.placed_at, lot_states.c.leader_id)
            .join(lot_states, lot_states.c.lot_id == bids.c.lot_id, isouter=True)
            .where(where)
            .order_by(bids.c.placed_at.desc(), bids.c.seq.desc())
            .limit(page.size)
            .offset(page.offset)
        )
        items = [MyBid(r.lot_id, r.amount, r.placed_at, r.leader_id == bidder) for r in rows]
        return Page(items, page.page, page.size, total)


class SqlBiddingUnitOfWork(SqlUnitOfWork):
    bids: SqlBidRepository
    awards: SqlAwardRepository
    runs: SqlDayRunJournal

    def _bind(self, session: AsyncSession) -> None:
        self.bids = SqlBidRepository(session)
        self.awards = SqlAwardRepository(session)
        self.runs = SqlDayRunJournal(session)

    async def commit(self) -> None:
        """Commit; a database that went away meanwhile raises ``Unavailable``."""
        with outage_as_unavailable():
            await super().commit()
