"""Awards and the auction-day journal in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sagopalgo.bidding.adapters.sql.tables import awards, day_runs
from sagopalgo.bidding.contract import AwardStatus, DayRun
from sagopalgo.bidding.domain.award import Award
from sagopalgo.kernel.paging import Page, PageRequest

__all__ = ["SqlAwardRepository", "SqlDayRunJournal"]


def _award(row: Any) -> Award:
    return Award(
        lot_id=row.lot_id,
        winner_id=row.winner_id,
        seller_id=row.seller_id,
        amount=row.amount,
        closed_at=row.closed_at,
        pay_by=row.pay_by,
        status=AwardStatus(row.status),
        paid_at=row.paid_at,
        id=row.id,
    )


class SqlAwardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, award: Award) -> bool:
        # Closes run under the transition lock, so two never race here; if one somehow did, the
        # unique live-lot key fails the second run, which the next tick repeats and finds the award.
        current = await self.of_lot(award.lot_id)
        if current is not None and current.status is not AwardStatus.EXPIRED:
            return False
        result = await self._s.execute(
            insert(awards).values(
                lot_id=award.lot_id,
                live_lot_id=award.lot_id,
                winner_id=award.winner_id,
                seller_id=award.seller_id,
                amount=award.amount,
                closed_at=award.closed_at,
                pay_by=award.pay_by,
                status=award.status.value,
                paid_at=award.paid_at,
            )
        )
        award.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        return True

    async def get(self, award_id: int) -> Award | None:
        row = (await self._s.execute(select(awards).where(awards.c.id == award_id))).first()
        return _award(row) if row else None

    async def of_lot(self, lot_id: int) -> Award | None:
        latest = select(awards).where(awards.c.lot_id == lot_id).order_by(awards.c.id.desc()).limit(1)
        row = (await self._s.execute(latest)).first()
        return _award(row) if row else None

    async def of_winner(self, winner_id: int, page: PageRequest) -> Page[Award]:
        where = awards.c.winner_id == winner_id
        total = (await self._s.execute(select(func.count()).select_from(awards).where(where))).scalar_one()
        rows = await self._s.execute(
            select(awards)
            .where(where)
            .order_by(awards.c.closed_at.desc(), awards.c.id.desc())
            .limit(page.size)
            .offset(page.offset)
        )
        return Page([_award(r) for r in rows], page.page, page.size, total)

    async def save(self, award: Award) -> bool:
        # Compare-and-set on the status: the row's latest committed value decides (InnoDB's UPDATE
        # reads it under a lock; SQLite has one writer), not this transaction's snapshot.
        result = await self._s.execute(
            update(awards)
            .where(awards.c.id == award.id, awards.c.status == AwardStatus.PAYMENT_DUE.value)
            .values(
                status=award.status.value,
                paid_at=award.paid_at,
                # A lapsed award frees the lot for the award of its next auction (it may be relisted).
                live_lot_id=None if award.status is AwardStatus.EXPIRED else award.lot_id,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def due_to_expire(self, now: datetime, limit: int) -> list[Award]:
        rows = await self._s.execute(
            select(awards)
            .where(awards.c.status == AwardStatus.PAYMENT_DUE.value, awards.c.pay_by <= now)
            .order_by(awards.c.pay_by)
            .limit(limit)
        )
        return [_award(r) for r in rows]


class SqlDayRunJournal:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, run: DayRun) -> None:
        await self._s.execute(
            insert(day_runs).values(
                day=run.day,
                transition=run.transition,
                trigger=run.trigger[:64],
                started_at=run.started_at,
                finished_at=run.finished_at,
                changed=run.changed,
            )
        )

    async def recent(self, limit: int) -> list[DayRun]:
        rows = await self._s.execute(
            select(day_runs).order_by(day_runs.c.started_at.desc(), day_runs.c.id.desc()).limit(limit)
        )
        return [DayRun(r.day, r.transition, r.trigger, r.started_at, r.finished_at, r.changed) for r in rows]
