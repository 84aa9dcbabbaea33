"""Bidding use cases.

The bid path touches only the gate (one atomic step); the database learns of bids from the bid log,
through ``write_log``, which any number of API processes may run at once (a consumer group shares
the entries, a unique bid id makes each write happen once, and an entry is acknowledged only after
its transaction committed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sagopalgo.bidding.contract import LivePrice
from sagopalgo.bidding.domain.errors import LotNotOpen
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot, Outcome, minimum_next
from sagopalgo.bidding.ports import (
    BiddingUnitOfWork,
    BidGate,
    BidHistoryItem,
    BidLog,
    GateMiss,
    Idempotency,
    LogEntry,
    LotFacts,
    LotFactsSource,
    MyBid,
)
from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.errors import Invalid, NotFound, Unavailable
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import Page, PageRequest

__all__ = ["POISON_ATTEMPTS", "BidResult", "BiddingService", "WriterStalled", "WriterStats"]

_log = logging.getLogger("sagopalgo.bidding")

POISON_ATTEMPTS = 5
"""Failures (not outages) after which a bid-log entry is moved to the dead letters."""


class WriterStalled(Exception):
    """A bid-log round stored nothing while some of its entries failed (not an outage)."""

    def __init__(self, entry_ids: list[str]) -> None:
        super().__init__(f"entries {', '.join(entry_ids[:5])}{' ...' if len(entry_ids) > 5 else ''} failed")
        self.entry_ids = entry_ids


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class BidResult:
    acceptance: Acceptance
    bidder: int
    amount: int
    max_amount: int
    placed_at_ms: int

    @property
    def leading(self) -> bool:
        return self.acceptance.leading(self.bidder)

    @property
    def bid_id(self) -> str | None:
        mine = [b for b in self.acceptance.placed if b.bidder == self.bidder]
        return mine[-1].bid_id if mine else None

    @property
    def shown_amount(self) -> int:
        """The caller's visible bid (the house may have placed it above ``amount`` for a maximum)."""
        mine = [b for b in self.acceptance.placed if b.bidder == self.bidder]
        return mine[-1].amount if mine else self.amount


class WriterStats:
    """Lag from acceptance to commit of recent bid-log entries (bounded), for benchmarks and ops."""

    def __init__(self, keep: int = 100_000) -> None:
        self.lags_ms: deque[int] = deque(maxlen=keep)
        self.written = 0

    def percentile(self, p: float) -> int | None:
        if not self.lags_ms:
            return None
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class BiddingService:
    def __init__(
        self,
        *,
        gate: BidGate,
        log: BidLog,
        uow: Callable[[], BiddingUnitOfWork],
        lots: LotFactsSource,
        clock: Clock,
        max_krw: int,
        extension_ms: int,
        on_recorded: Callable[[LogEntry], Awaitable[None]] | None = None,
    ) -> None:
        self._gate, self._log, self._uow, self._lots, self._clock = gate, log, uow, lots, clock
        self._max_krw, self._extension_ms = max_krw, extension_ms
        self._on_recorded = on_recorded
        self.writer_stats = WriterStats()
        self._failures: dict[str, int] = {}

    # ------------------------------------------------------------------ placing
    async def place_bid(
        self,
        actor: Principal,
        lot_id: int,
        *,
        amount: int,
        max_amount: int | None,
        idempotency_key: str | None,
    ) -> BidResult:
        maximum = amount if max_amount is None else max_amount
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 64:
            raise Invalid("Idempotency-Key must be 1 to 64 characters.", field="Idempotency-Key")
        now_ms = _ms(self._clock.now())
        request = BidRequest(
            actor.user_id,
            amount,
            maximum,
            now_ms,
            (uuid.uuid4().hex, uuid.uuid4().hex),
            max_amount is not None,
        )
        idem = (
            Idempotency(idempotency_key, f"{lot_id}:{amount}:{max_amount}")
            if idempotency_key is not None
            else None
        )
        try:
            accepted = await self._gate.place(lot_id, request, idem)
        except GateMiss:
            await self.prime(lot_id)
            accepted = await self._gate.place(lot_id, request, idem)
        return BidResult(accepted, actor.user_id, amount, maximum, now_ms)

    async def prime(self, lot_id: int) -> None:
        """Give the gate the lot's state: the catalog's terms plus the last persisted bids.

        Runs when the lot opens, and whenever the gate has lost a lot (a Redis restart): the next
        bid is then judged against the true persisted price, never against an empty lot.
        """
        facts = await self._lots.facts(lot_id)
        if facts is None:
            raise NotFound("No such lot.")
        if not facts.open:
            raise LotNotOpen("Bidding on this lot is not open.")
        async with self._uow() as uow:
            persisted, aliases = await uow.bids.rebuild(lot_id)
        await self._gate.prime(self._gate_lot(facts, persisted), aliases)

    def _gate_lot(self, facts: LotFacts, persisted: GateLot | None) -> GateLot:
        lot = GateLot(
            lot_id=facts.lot_id,
            seller_id=facts.seller_id,
            start_price=facts.start_price,
            increment=facts.increment,
            opens_ms=_ms(facts.opens_at),
            closes_ms=_ms(facts.closes_at),
            hard_cap_ms=_ms(facts.hard_cap_at),
            extended_bidding=facts.extended_bidding,
            extension_ms=self._extension_ms,
            max_krw=self._max_krw,
        )
        if persisted is None:
            return lot
        if persisted.closes_ms <= lot.opens_ms:
            # The last auction of a relisted lot: this one starts afresh. Only the sequence goes
            # on, so its bids stay unique beside the earlier ones in the lot's history.
            return replace(lot, seq=persisted.seq)
        return replace(
            lot,
            price=persisted.price,
            count=persisted.count,
            leader=persisted.leader,
            leader_max=persisted.leader_max,
            seq=persisted.seq,
            closes_ms=max(lot.closes_ms, persisted.closes_ms),  # an extension survives the rebuild
        )

    async def freeze(self, lot_id: int) -> GateLot | None:
        return await self._gate.freeze(lot_id)

    async def gate_state(self, lot_id: int) -> GateLot:
        """The gate's state of an open lot, rebuilt from the database first if the gate lost it."""
        state = await self._gate.state(lot_id)
        if state is None:
            await self.prime(lot_id)
            state = await self._gate.state(lot_id)
        if state is None:
            raise RuntimeError(f"the bid gate did not keep lot {lot_id} after priming it")
        return state

    # ------------------------------------------------------------------ reading
    async def live_price(self, lot_id: int) -> LivePrice | None:
        """The gate's view of a lot, or ``None`` when the gate does not hold it (not open)."""
        state = await self._gate.state(lot_id)
        if state is None:
            return None
        now = _ms(self._clock.now())
        return LivePrice(
            lot_id=lot_id,
            current_price=state.price if state.count else None,
            bid_count=state.count,
            minimum_next_bid=minimum_next(state),
            closes_at=datetime.fromtimestamp(state.closes_ms / 1000, self._clock.now().tzinfo),
            open=not state.frozen and state.opens_ms <= now < state.closes_ms,
        )

    async def history(self, lot_id: int, page: PageRequest) -> Page[BidHistoryItem]:
        if await self._lots.facts(lot_id) is None:
            raise NotFound("No such lot.")
        async with self._uow() as uow:
            return await uow.bids.history(lot_id, page)

    async def my_bids(self, actor: Principal, page: PageRequest) -> Page[MyBid]:
        async with self._uow() as uow:
            return await uow.bids.mine(actor.user_id, page)

    # ------------------------------------------------------------------ the bid-log writer
    async def write_log(
        self, consumer: str, *, batch: int = 200, block_ms: int = 1_000, stale_ms: int = 30_000
    ) -> int:
        """One round: own pending entries, a dead writer's, then new ones; store, acknowledge.

        Returns how many entries were stored.

        Own pending entries come first, so a writer whose writes failed (the database was down)
        catches up as soon as the database is back, whatever ``stale_ms`` is. A round's entries are
        stored in one transaction (a spike of bids costs one commit per round, not per bid, which
        keeps the lag from growing with the rate). Writes are idempotent (a unique bid id): an entry
        delivered again is never stored twice. Only committed entries are acknowledged.

        If the database is unavailable the round raises ``Unavailable`` and its entries stay
        pending. If the transaction fails otherwise, the entries are tried one by one so one bad
        entry cannot hold back the rest; a failure counts against an entry only in a round where
        another entry was stored (so an error that fails every entry never condemns any), and after
        ``POISON_ATTEMPTS`` such failures the entry is moved to the log's dead letters. A round that
        stored nothing while entries failed raises ``WriterStalled``.
        """
        entries = await self._log.pending(consumer, batch)
        if len(entries) < batch:
            entries += await self._log.claim_stale(consumer, stale_ms, batch - len(entries))
        if len(entries) < batch:
            entries += await self._log.read(consumer, batch - len(entries), 0 if entries else block_ms)
        entries = list({e.entry_id: e for e in entries}.values())  # a claim may return an own entry
        if not entries:
            return 0
        failed: list[tuple[LogEntry, Exception]] = []
        try:
            await self._record(entries)
            done = entries
        except Unavailable:
            raise
        except Exception as exc:  # which entry is to blame is found one by one
            _log.debug("bid-log round of %d failed (%s); storing its entries one by one", len(entries), exc)
            done, failed = await self._record_each(entries)
        await self._finish(done)
        if failed and not done:
            raise WriterStalled([e.entry_id for e, _ in failed])
        for entry, error in failed:
            await self._count_failure(entry, error)
        return len(done)

    async def _record_each(
        self, entries: list[LogEntry]
    ) -> tuple[list[LogEntry], list[tuple[LogEntry, Exception]]]:
        done: list[LogEntry] = []
        failed: list[tuple[LogEntry, Exception]] = []
        for entry in entries:
            try:
                await self._record([entry])
                done.append(entry)
            except Unavailable:
                # Down half-way: keep what was stored; the rest stays pending for the next round.
                await self._finish(done)
                raise
            except Exception as exc:  # counted against the entry, see write_log
                failed.append((entry, exc))
        return done, failed

    async def _finish(self, done: list[LogEntry]) -> None:
        if not done:
            return
        now_ms = _ms(self._clock.now())
        for entry in done:
            self.writer_stats.lags_ms.append(now_ms - entry.placed_at_ms)
            self._failures.pop(entry.entry_id, None)
        self.writer_stats.written += len(done)
        await self._log.ack([e.entry_id for e in done])
        await self._report(done)

    async def _count_failure(self, entry: LogEntry, exc: Exception) -> None:
        if len(self._failures) > 10_000:  # entries another writer took over never come back here
            self._failures.clear()
        attempts = self._failures.get(entry.entry_id, 0) + 1
        if attempts < POISON_ATTEMPTS:
            self._failures[entry.entry_id] = attempts
            _log.warning(
                "bid-log entry %s not stored (attempt %d of %d; it stays pending): %s",
                entry.entry_id,
                attempts,
                POISON_ATTEMPTS,
                exc,
            )
            return
        self._failures.pop(entry.entry_id, None)
        await self._log.dead_letter(entry, f"failed {attempts} times: {type(exc).__name__}: {exc}"[:500])

    @property
    def dead_lettered(self) -> int:
        """Bid-log entries this process moved aside as poison (README, Operations)."""
        return self._log.dead_lettered

    async def _record(self, entries: list[LogEntry]) -> None:
        async with self._uow() as uow:
            await uow.bids.record_many(entries)
            await uow.commit()

    async def _report(self, entries: list[LogEntry]) -> None:
        """Tell the listener each lot's latest accepted state (earlier ones in the round are stale)."""
        if self._on_recorded is None:
            return
        latest: dict[int, LogEntry] = {}
        for entry in entries:
            if entry.acceptance.outcome is Outcome.BID:
                latest[entry.lot_id] = entry
        for entry in latest.values():
            try:
                await self._on_recorded(entry)
            except Exception:  # the catalog's copy catches up with the next bid
                _log.warning("could not copy a bid to the catalog", exc_info=True)

    async def run_writer(
        self,
        consumer: str,
        stop: asyncio.Event,
        *,
        stale_ms: int = 30_000,
        block_ms: int = 250,
        batch: int = 200,
        linger_ms: int = 20,
        backoff_ms: tuple[int, int] = (100, 2_000),
    ) -> None:
        """Write rounds until ``stop`` is set; the round under way finishes first.

        Set ``stop`` and await the task rather than cancelling it: a round cancelled inside its
        database transaction would strand a pooled connection. Reads block at most ``block_ms``,
        which bounds how long a shutdown waits. After a round smaller than ``batch`` the writer
        lingers ``linger_ms`` so that a spike's bids share rounds: each round costs a transaction
        and a catalog update per lot on the API's own event loop, and at a thousand bids a second
        rounds of one or two bids took an eighth of the process's CPU from the bids themselves.
        The linger adds at most that much to the writer's lag.

        A failed round (a dependency down, or nothing stored while entries failed) is retried after
        a pause that doubles from ``backoff_ms[0]`` up to ``backoff_ms[1]``; the first failure logs
        one warning and the first round that succeeds after it one info line, whatever the number
        of rounds in between.
        """
        first_ms, most_ms = backoff_ms
        failing_since: float | None = None
        failed_rounds = 0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                written = await self.write_log(consumer, batch=batch, stale_ms=stale_ms, block_ms=block_ms)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # entries stay pending and are retried first
                if failing_since is None:
                    failing_since = loop.time()
                    if isinstance(exc, Unavailable | WriterStalled):
                        _log.warning("bid-log writer cannot write (%s); retrying with backoff", exc)
                    else:
                        _log.warning("bid-log writer round failed; retrying with backoff", exc_info=True)
                failed_rounds += 1
                pause = min(most_ms, first_ms * 2 ** min(failed_rounds - 1, 30)) / 1000
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                continue
            if failing_since is not None:
                _log.info(
                    "bid-log writer writing again after %.1f s (%d failed rounds)",
                    loop.time() - failing_since,
                    failed_rounds,
                )
                failing_since, failed_rounds = None, 0
            if 0 < written < batch and linger_ms:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), linger_ms / 1000)
