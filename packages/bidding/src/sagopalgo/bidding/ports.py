"""What the bidding use cases need from outside, as Protocols speaking domain types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sagopalgo.bidding.contract import DayRun
from sagopalgo.bidding.domain.award import Award
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot
from sagopalgo.kernel.paging import Page, PageRequest
from sagopalgo.kernel.uow import UnitOfWork

__all__ = [
    "AwardRepository",
    "BidGate",
    "BidHistoryItem",
    "BidLog",
    "BidRepository",
    "BiddingUnitOfWork",
    "DayLots",
    "DayRunJournal",
    "EventPublisher",
    "GateMiss",
    "Idempotency",
    "LogEntry",
    "LotFacts",
    "LotFactsSource",
    "LotTitles",
    "MyBid",
    "SyncEventSink",
    "TransitionLock",
]


class GateMiss(Exception):
    """The gate holds no state for the lot (never primed, or Redis lost it): rebuild, then retry."""


@dataclass(frozen=True, slots=True)
class Idempotency:
    key: str
    fingerprint: str
    """A hash of the request body: the same key with another body is refused."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One accepted placement as the bid log carries it to the database."""

    entry_id: str
    lot_id: int
    bidder: int
    max_amount: int
    placed_at_ms: int
    acceptance: Acceptance
    aliases: tuple[int, ...]
    """The per-lot alias number of each placed bid's bidder, in ``acceptance.placed`` order."""


class BidGate(Protocol):
    async def prime(self, lot: GateLot, aliases: dict[int, int]) -> bool:
        """Install the lot's state unless the gate holds it taking bids (never overwrite a live lot).

        A state frozen by the lot's last close gives way: the lot was relisted and opens again.
        """
        ...

    async def place(self, lot_id: int, bid: BidRequest, idempotency: Idempotency | None) -> Acceptance:
        """Judge the bid and, if accepted, record, log and publish it in one atomic step.

        Raises the refusal, ``IdempotencyKeyReused``, or ``GateMiss``.
        """
        ...

    async def state(self, lot_id: int) -> GateLot | None: ...

    async def freeze(self, lot_id: int) -> GateLot | None:
        """Stop taking bids on the lot (the day's close); returns the final state."""
        ...


class BidLog(Protocol):
    """The consumer side of the durable bid log (a Redis stream with a consumer group).

    Every method raises the kernel's ``Unavailable`` when the log's store cannot be reached. An
    entry that cannot even be decoded is moved aside by the log itself when it is read (as
    ``dead_letter`` does) and never returned.
    """

    dead_lettered: int
    """Entries this process moved aside (``dead_letter`` and undecodable ones)."""

    async def read(self, consumer: str, count: int, block_ms: int) -> list[LogEntry]:
        """New entries, now pending for ``consumer`` until acknowledged."""
        ...

    async def pending(self, consumer: str, count: int) -> list[LogEntry]:
        """Entries ``consumer`` read before but has not acknowledged (its failed writes), oldest first."""
        ...

    async def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[LogEntry]:
        """Entries another consumer read but never acknowledged (it died): now this one's."""
        ...

    async def ack(self, entry_ids: Sequence[str]) -> None: ...

    async def dead_letter(self, entry: LogEntry, reason: str) -> None:
        """Take a poison entry out of the log, kept where an operator can inspect and replay it."""
        ...


@dataclass(frozen=True, slots=True)
class BidHistoryItem:
    amount: int
    placed_at: datetime
    alias: int


@dataclass(frozen=True, slots=True)
class MyBid:
    lot_id: int
    amount: int
    placed_at: datetime
    leading: bool


class BidRepository(Protocol):
    async def record(self, entry: LogEntry) -> bool:
        """Store the entry's bids and the lot's resulting state; ``False`` if it was stored already."""
        ...

    async def record_many(self, entries: list[LogEntry]) -> int:
        """Store a round of entries at once; entries stored already are skipped. Returns how many were new.

        Raises ``Unavailable`` when the database cannot be reached (so does the unit of work's commit).
        """
        ...

    async def rebuild(self, lot_id: int) -> tuple[GateLot | None, dict[int, int]]:
        """The last persisted gate state of the lot (price, count, leader and maximum), and aliases.

        Returns ``None`` for the state when no bid was ever persisted.
        """
        ...

    async def history(self, lot_id: int, page: PageRequest) -> Page[BidHistoryItem]: ...

    async def mine(self, bidder: int, page: PageRequest) -> Page[MyBid]: ...


class AwardRepository(Protocol):
    async def add(self, award: Award) -> bool:
        """Store the award unless the lot has one due or paid (a repeated close); ``False`` then.

        An expired award does not count: the lot was relisted and won again.
        """
        ...

    async def get(self, award_id: int) -> Award | None: ...

    async def of_lot(self, lot_id: int) -> Award | None:
        """The lot's latest award (the live one, if it has one)."""
        ...

    async def of_winner(self, winner_id: int, page: PageRequest) -> Page[Award]: ...

    async def save(self, award: Award) -> bool:
        """Move a ``PAYMENT_DUE`` award to its new status; ``False`` if it had left that status already.

        An award leaves ``PAYMENT_DUE`` once (paid or expired), so a payment and an expiry racing
        for it cannot both win: the loser's save changes nothing.
        """
        ...

    async def due_to_expire(self, now: datetime, limit: int) -> list[Award]:
        """Awards still ``PAYMENT_DUE`` whose deadline has passed."""
        ...


class DayRunJournal(Protocol):
    async def add(self, run: DayRun) -> None: ...

    async def recent(self, limit: int) -> list[DayRun]: ...


class BiddingUnitOfWork(UnitOfWork, Protocol):
    @property
    def bids(self) -> BidRepository: ...

    @property
    def awards(self) -> AwardRepository: ...

    @property
    def runs(self) -> DayRunJournal: ...


class DayLots(Protocol):
    """The catalog's side of the day's schedule: which lots are due, and their status moves.

    Each move is idempotent: it returns ``False`` when the lot was not in the status it moves from.
    """

    async def due_to_open(self, now: datetime, through_day: date) -> list[int]: ...

    async def due_to_close(self, now: datetime, through_day: date) -> list[int]: ...

    async def open(self, lot_id: int) -> bool: ...

    async def close(self, lot_id: int, final: GateLot) -> bool: ...

    async def lapse(self, lot_id: int) -> bool:
        """SOLD → UNSOLD: the award expired unpaid; the seller may relist."""
        ...

    async def paid(self, lot_id: int) -> bool: ...


class LotTitles(Protocol):
    async def titles(self, lot_ids: Sequence[int]) -> dict[int, str]: ...


class TransitionLock(Protocol):
    def hold(self, name: str) -> AbstractAsyncContextManager[None]:
        """Held by one runner at a time across every process; waits for it, bounded."""
        ...


@dataclass(frozen=True, slots=True)
class LotFacts:
    """What the gate needs to know of a lot from the catalog."""

    lot_id: int
    seller_id: int
    start_price: int
    increment: int
    opens_at: datetime
    closes_at: datetime
    hard_cap_at: datetime
    extended_bidding: bool
    open: bool
    """The catalog's status is OPEN (the 09:00 opener ran)."""


class LotFactsSource(Protocol):
    async def facts(self, lot_id: int) -> LotFacts | None: ...


class EventPublisher(Protocol):
    """The lot event log as a gate outside Redis publishes to (the realtime ``LotEventLog`` fits)."""

    async def publish(self, lot_id: int, type_: str, data: Mapping[str, Any]) -> str: ...


class SyncEventSink(Protocol):
    """An in-process event log the in-process gate appends to without yielding (stays atomic)."""

    def append_now(self, lot_id: int, type_: str, data: Mapping[str, Any]) -> str: ...
