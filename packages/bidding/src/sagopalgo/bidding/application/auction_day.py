"""The auction day's transitions, each idempotent and run under one cross-process lock.

Open at 09:00, close at 18:00 (or a lot's extended close), and let unpaid awards lapse.

Whoever runs them (the in-process schedule, the AWS Lambda, an admin) calls the same methods:
running one twice, or on two instances at once, changes nothing the second time. They work from
what is *due* at the moment, not from a day alone, so a 09:00 or 18:00 that nobody ran (an outage)
is caught up by the next run: lots of a past day are opened and, their close being past as well,
closed by the close that follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from sagopalgo.bidding.application.service import BiddingService
from sagopalgo.bidding.contract import AwardStatus, DayRun
from sagopalgo.bidding.domain.award import Award
from sagopalgo.bidding.ports import BiddingUnitOfWork, DayLots, TransitionLock
from sagopalgo.kernel.clock import SEOUL, Clock
from sagopalgo.kernel.errors import Forbidden
from sagopalgo.kernel.identity import Principal

__all__ = ["AuctionDayService", "DaySchedule"]

_log = logging.getLogger("sagopalgo.auction_day")
LOCK = "auction-day"


class AuctionDayService:
    def __init__(
        self,
        *,
        bidding: BiddingService,
        lots: DayLots,
        uow: Callable[[], BiddingUnitOfWork],
        lock: TransitionLock,
        clock: Clock,
        pay_within: timedelta,
        batch: int = 200,
    ) -> None:
        self._bidding, self._lots, self._uow, self._lock = bidding, lots, uow, lock
        self._clock, self._pay_within, self._batch = clock, pay_within, batch

    def today(self) -> date:
        return self._clock.now().astimezone(SEOUL).date()

    # ------------------------------------------------------------------ the transitions
    async def open_day(self, day: date | None = None, *, trigger: str) -> DayRun:
        """Open every lot of ``day`` (or earlier) whose 09:00 has come, and give the gate its state."""
        return await self._run("open", day, trigger, self._open_due)

    async def close_day(self, day: date | None = None, *, trigger: str) -> DayRun:
        """Close every open lot of ``day`` (or earlier) whose own close has passed: award, then move."""
        return await self._run("close", day, trigger, self._close_due)

    async def expire_awards(self, *, trigger: str) -> DayRun:
        """Awards unpaid at their deadline lapse; their lots become relistable."""
        return await self._run("expire", None, trigger, self._expire_due)

    async def _run(
        self, transition: str, day: date | None, trigger: str, step: Callable[[date], Awaitable[int]]
    ) -> DayRun:
        through = min(day or self.today(), self.today())
        async with self._lock.hold(LOCK):
            started = self._clock.now()
            changed = 0
            while True:  # in batches, so a day of many lots never holds one long transaction
                moved = await step(through)
                changed += moved
                if moved < self._batch:
                    break
            run = DayRun(day or through, transition, trigger, started, self._clock.now(), changed)
            if changed or trigger != "schedule":  # the schedule's idle ticks are not worth a row
                async with self._uow() as uow:
                    await uow.runs.add(run)
                    await uow.commit()
        if changed:
            _log.info("%s ran for %s: %d changed", transition, run.day, changed, extra={"trigger": trigger})
        return run

    async def _open_due(self, through: date) -> int:
        changed = 0
        for lot_id in (await self._lots.due_to_open(self._clock.now(), through))[: self._batch]:
            if await self._lots.open(lot_id):
                changed += 1
            await self._bidding.prime(lot_id)  # also after a crash between the two steps
        return changed

    async def _close_due(self, through: date) -> int:
        now_ms = int(self._clock.now().timestamp() * 1000)
        changed = 0
        for lot_id in (await self._lots.due_to_close(self._clock.now(), through))[: self._batch]:
            state = await self._bidding.gate_state(lot_id)
            if not state.frozen and now_ms < state.closes_ms:
                continue  # in extended bidding: a later run closes it (the gate refuses late bids)
            final = await self._bidding.freeze(lot_id)
            if final is None:
                continue
            if final.count:
                award = Award.at_close(
                    lot_id=lot_id,
                    winner_id=final.leader,
                    seller_id=final.seller_id,
                    amount=final.price,
                    closed_at=self._clock.now(),
                    pay_within=self._pay_within,
                )
                async with self._uow() as uow:  # the award first: a rerun after a crash finds it
                    await uow.awards.add(award)
                    await uow.commit()
            if await self._lots.close(lot_id, final):
                changed += 1
        return changed

    async def _expire_due(self, _through: date) -> int:
        async with self._uow() as uow:
            due = await uow.awards.due_to_expire(self._clock.now(), self._batch)
            lapsed = []
            for award in due:
                award.status = AwardStatus.EXPIRED
                if await uow.awards.save(award):  # not if a payment settled it meanwhile
                    lapsed.append(award)
            await uow.commit()
        for award in lapsed:
            await self._lots.lapse(award.lot_id)
        return len(lapsed)

    async def recent_runs(self, limit: int = 50) -> list[DayRun]:
        async with self._uow() as uow:
            return await uow.runs.recent(limit)

    async def run_for(self, actor: Principal, day: date, transition: str) -> DayRun:
        """An administrator runs a day's transition now (what the schedule would run)."""
        if not actor.is_admin:
            raise Forbidden("Only administrators may run the auction day's transitions.")
        trigger = f"admin:{actor.user_id}"
        if transition == "open":
            return await self.open_day(day, trigger=trigger)
        return await self.close_day(day, trigger=trigger)


class DaySchedule:
    """The embedded/local scheduler: every ``tick_s`` it runs what is due (and catches up at start).

    Several API instances may each run one; the transition lock makes them take turns, and the
    second finds nothing left to do.
    """

    def __init__(self, days: AuctionDayService, *, tick_s: float = 15.0) -> None:
        self._days, self._tick = days, tick_s

    async def tick(self, trigger: str = "schedule") -> None:
        await self._days.open_day(trigger=trigger)
        await self._days.close_day(trigger=trigger)
        await self._days.expire_awards(trigger=trigger)

    async def run(self, stop: asyncio.Event) -> None:
        trigger = "startup"
        while not stop.is_set():
            try:
                await self.tick(trigger)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database or Redis blip: the next tick retries
                _log.warning("auction-day tick failed; retrying", exc_info=True)
            trigger = "schedule"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._tick)
