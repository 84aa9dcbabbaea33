"""A history checker: what clients were told against what the database and the lot streams hold.

A fault test records every bid request (each try of each ``Idempotency-Key``, with its answer and
how long it took) and every SSE connection (its snapshot and events), then reads the truth: the
``bidding_bids`` rows and each lot's event stream (the gate's order). ``check`` compares them and
names every broken rule; it does no I/O, so each rule is unit-tested on doctored histories.

Answers are judged as a client behind a load balancer must judge them: a 201 or a 4xx is
definitive; a 503 or a broken connection says nothing about whether the bid happened
(*indeterminate*), and the client retries with the same key until it gets a definitive answer.

Rules (the keys of ``Report.violations``):

- ``lost``: a 201's bid is in its lot's stream but not in the database.
- ``phantom``: a 201's bid is neither in the database nor in the stream (it never happened).
- ``mismatch``: a 201's bid is stored with another lot, bidder or amount than the client was told.
- ``doubled``: one key got two different bid ids, or one bid id is stored twice.
- ``refused_but_stored``: a stored bid nobody was told about whose request ended refused.
- ``unexplained``: a stored bid (not a house bid for a maximum) that no request asked for.
- ``unresolved``: a key whose last answer was still indeterminate.
- ``bad_answer``: a 5xx other than 503 ``UNAVAILABLE`` with ``Retry-After``; a 4xx without a
  problem ``code``.
- ``slow``: an answer (or a give-up) slower than the limit given to ``check``.
- ``disorder``: a lot's amounts do not strictly increase in gate order, in the database (by
  ``seq``) or in the stream, or the stream's bid counts are not 1, 2, 3, …
- ``diverged``: a lot's stored bids and its stream's bid events differ.
- ``backwards``: an SSE connection saw a price or bid count go back (its snapshot included).
- ``repeated``: an SSE connection got an event id twice or out of order, or a client (across its
  reconnections) got one event twice.
- ``missed``: a client, over all its connections, did not get every event of its lot after the
  position it started from.
- ``snapshot``: a snapshot that is not the lot's state at the event it names, or a reconnection
  whose snapshot is not at the ``Last-Event-ID`` it sent.
- ``stale_copy``: once everything settled, a copy of a lot's price and bid count (the catalog's,
  which lists and sorting show; the search index's) is not its stream's last bid.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

__all__ = [
    "RULES",
    "BidAttempt",
    "Report",
    "SseClient",
    "SseConnection",
    "StoredBid",
    "StreamEvent",
    "Truth",
    "Try",
    "check",
    "event_order",
    "last_bid",
]

RULES = (
    "lost",
    "phantom",
    "mismatch",
    "doubled",
    "refused_but_stored",
    "unexplained",
    "unresolved",
    "bad_answer",
    "slow",
    "disorder",
    "diverged",
    "backwards",
    "repeated",
    "missed",
    "snapshot",
    "stale_copy",
)


def event_order(event_id: str) -> tuple[int, int]:
    head, _, tail = event_id.partition("-")
    return int(head), int(tail or 0)


# ---------------------------------------------------------------------- what clients were told
@dataclass
class Try:
    """One HTTP request of a bid; ``status`` is ``None`` when no answer came (broken, timed out)."""

    api: str
    started: float
    """Seconds on the recorder's monotonic clock."""
    elapsed: float
    status: int | None
    code: str | None = None
    bid_id: str | None = None
    amount: int | None = None
    lot_id: int | None = None
    retry_after: str | None = None
    error: str | None = None

    @property
    def definitive(self) -> bool:
        """A 201 or a 4xx: the bid happened, or surely did not."""
        return self.status is not None and (self.status == 201 or 400 <= self.status < 500)


@dataclass
class BidAttempt:
    """One logical bid: one ``Idempotency-Key``, tried until a definitive answer (or given up)."""

    key: str
    lot_id: int
    bidder: int
    amount: int
    tries: list[Try] = field(default_factory=list)

    @property
    def final(self) -> Try | None:
        return self.tries[-1] if self.tries else None

    @property
    def outcome(self) -> str:
        """``accepted``, ``refused`` or ``indeterminate``."""
        final = self.final
        if final is None or not final.definitive:
            return "indeterminate"
        return "accepted" if final.status == 201 else "refused"

    @property
    def accepted_ids(self) -> set[str]:
        return {t.bid_id for t in self.tries if t.status == 201 and t.bid_id is not None}


@dataclass
class SseConnection:
    """One connection of a client; ``status`` 200 when the stream opened."""

    sse: str
    last_event_id: str | None
    status: int | None = None
    snapshot_id: str | None = None
    snapshot: Mapping[str, Any] | None = None
    events: list[StreamEvent] = field(default_factory=list)
    error: str | None = None
    started: float = 0.0
    elapsed: float = 0.0
    """Until the response's head (or the failure)."""
    code: str | None = None
    retry_after: str | None = None

    @property
    def answer(self) -> Try:
        """The connection's opening as an answer, for the rules every answer obeys."""
        return Try(self.sse, self.started, self.elapsed, self.status, self.code, retry_after=self.retry_after)


@dataclass
class SseClient:
    """A logical client (one browser tab): connections in order, each resuming from the last event."""

    lot_id: int
    connections: list[SseConnection] = field(default_factory=list)

    @property
    def last_id(self) -> str | None:
        for conn in reversed(self.connections):
            if conn.events:
                return conn.events[-1].id
            if conn.snapshot_id is not None:
                return conn.snapshot_id
        return None


# ---------------------------------------------------------------------- what the stores hold
@dataclass(frozen=True)
class StoredBid:
    id: str
    lot_id: int
    seq: int
    bidder: int
    amount: int
    proxy: bool = False


@dataclass(frozen=True)
class StreamEvent:
    id: str
    type: str
    data: Mapping[str, Any]


@dataclass
class Truth:
    bids: list[StoredBid]
    streams: dict[int, list[StreamEvent]]
    """Each lot's whole event stream, oldest first."""
    copies: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)
    """Copies of each lot's (price, bid count) by who holds them (the catalog, a search index)."""


# ---------------------------------------------------------------------- the verdict
@dataclass
class Report:
    attempted: int = 0
    accepted: int = 0
    refused: int = 0
    retried: int = 0
    """Keys that needed more than one try."""
    indeterminate_tries: int = 0
    unavailable: int = 0
    """Tries answered 503."""
    slowest: float = 0.0
    stored: int = 0
    sse_connections: int = 0
    sse_reconnections: int = 0
    violations: dict[str, list[str]] = field(default_factory=lambda: {rule: [] for rule in RULES})

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())

    def count(self, rule: str) -> int:
        return len(self.violations[rule])

    def add(self, rule: str, message: str) -> None:
        self.violations[rule].append(message)

    def summary(self) -> str:
        head = (
            f"bids attempted {self.attempted}, accepted {self.accepted}, refused {self.refused}, "
            f"retried {self.retried}, indeterminate tries {self.indeterminate_tries}, "
            f"503s {self.unavailable}, "
            f"stored {self.stored}, lost {self.count('lost')}, doubled {self.count('doubled')}, "
            f"phantom {self.count('phantom')}, slowest answer {self.slowest:.2f} s; "
            f"SSE connections {self.sse_connections} ({self.sse_reconnections} reconnections)"
        )
        broken = [
            f"  {rule}: {len(found)} — {'; '.join(found[:5])}"
            for rule, found in self.violations.items()
            if found
        ]
        return "\n".join([head, *broken])


def check(
    attempts: Iterable[BidAttempt],
    truth: Truth,
    clients: Iterable[SseClient] = (),
    *,
    reads: Iterable[Try] = (),
    slow_after: float | None = None,
) -> Report:
    """Judge a run; ``reads`` are other requests (judged as answers only); ``slow_after`` (seconds)
    flags any answer, bid, read or SSE connection, that took longer."""
    attempts, clients = list(attempts), list(clients)
    report = Report(attempted=len(attempts), stored=len(truth.bids))
    for attempt in attempts:
        outcome = attempt.outcome
        report.accepted += outcome == "accepted"
        report.refused += outcome == "refused"
        report.retried += len(attempt.tries) > 1
        if outcome == "indeterminate":
            last = attempt.final
            told = "no try" if last is None else (last.error or f"HTTP {last.status}")
            report.add(
                "unresolved", f"key {attempt.key} (lot {attempt.lot_id}, {attempt.amount}): last {told}"
            )
        for t in attempt.tries:
            report.indeterminate_tries += not t.definitive
            report.unavailable += t.status == 503
            _answer(f"bid {attempt.key}", t, report, slow_after)
    for t in reads:
        _answer("read", t, report, slow_after)
    for n, client in enumerate(clients):
        for conn in client.connections:
            _answer(f"SSE client {n}", conn.answer, report, slow_after)
    _bids(attempts, truth, report)
    _order(truth, report)
    _streams(clients, truth, report)
    _copies(truth, report)
    return report


def _copies(truth: Truth, report: Report) -> None:
    for holder, held in sorted(truth.copies.items()):
        for lot_id, (price, count) in sorted(held.items()):
            last = last_bid(truth.streams.get(lot_id, []))
            if last is not None and last != (price, count):
                report.add(
                    "stale_copy",
                    f"lot {lot_id}: the {holder} says {price}/{count}, the stream {last[0]}/{last[1]}",
                )


def last_bid(events: list[StreamEvent]) -> tuple[int, int] | None:
    """(price, bid count) of a lot's newest bid event; ``None`` before its first."""
    for e in reversed(events):
        if e.type == "bid":
            return int(e.data["amount"]), int(e.data["bidCount"])
    return None


def _answer(what: str, t: Try, report: Report, slow_after: float | None) -> None:
    report.slowest = max(report.slowest, t.elapsed)
    if slow_after is not None and t.elapsed > slow_after:
        report.add("slow", f"{what} on {t.api}: {t.elapsed:.2f} s ({t.status or t.error})")
    if t.status is None:
        return
    if t.status >= 500 and not (t.status == 503 and t.code == "UNAVAILABLE" and t.retry_after):
        report.add("bad_answer", f"{what} on {t.api}: HTTP {t.status} {t.code}")
    elif 400 <= t.status < 500 and not t.code:
        report.add("bad_answer", f"{what} on {t.api}: HTTP {t.status} without a code")


def _bids(attempts: list[BidAttempt], truth: Truth, report: Report) -> None:
    stored: dict[str, StoredBid] = {}
    for bid_id, times in Counter(b.id for b in truth.bids).items():
        if times > 1:
            report.add("doubled", f"bid {bid_id} stored {times} times")
    for b in truth.bids:
        stored.setdefault(b.id, b)
    in_stream = {
        (lot_id, int(e.data["amount"]))
        for lot_id, events in truth.streams.items()
        for e in events
        if e.type == "bid"
    }
    told: set[str] = set()
    for attempt in attempts:
        ids = attempt.accepted_ids
        if len(ids) > 1:
            report.add("doubled", f"key {attempt.key} got bids {sorted(ids)}")
        for t in attempt.tries:
            if t.status != 201 or t.bid_id is None:
                continue
            told.add(t.bid_id)
            amount = t.amount if t.amount is not None else attempt.amount
            found = stored.get(t.bid_id)
            if found is None:
                if (attempt.lot_id, amount) in in_stream:
                    report.add(
                        "lost", f"bid {t.bid_id} (lot {attempt.lot_id}, {amount}) is not in the database"
                    )
                else:
                    report.add("phantom", f"bid {t.bid_id} (lot {attempt.lot_id}, {amount}) never happened")
            elif (found.lot_id, found.bidder, found.amount) != (attempt.lot_id, attempt.bidder, amount):
                report.add(
                    "mismatch",
                    f"bid {t.bid_id}: told lot {attempt.lot_id} bidder {attempt.bidder} {amount}, "
                    f"stored lot {found.lot_id} bidder {found.bidder} {found.amount}",
                )
    asked: dict[tuple[int, int, int], list[BidAttempt]] = defaultdict(list)
    for attempt in attempts:
        asked[(attempt.lot_id, attempt.bidder, attempt.amount)].append(attempt)
    for bid in stored.values():
        if bid.id in told or bid.proxy:
            continue
        matching = asked.get((bid.lot_id, bid.bidder, bid.amount), [])
        if not matching:
            report.add("unexplained", f"bid {bid.id} (lot {bid.lot_id}, bidder {bid.bidder}, {bid.amount})")
        elif all(a.outcome == "refused" for a in matching):
            keys = ", ".join(a.key for a in matching)
            report.add("refused_but_stored", f"bid {bid.id} (lot {bid.lot_id}, {bid.amount}): key {keys}")


def _increasing(values: list[int]) -> bool:
    return all(a < b for a, b in pairwise(values))


def _order(truth: Truth, report: Report) -> None:
    by_lot: dict[int, list[StoredBid]] = defaultdict(list)
    for bid in truth.bids:
        by_lot[bid.lot_id].append(bid)
    for lot_id in sorted(set(by_lot) | set(truth.streams)):
        rows = sorted(by_lot.get(lot_id, []), key=lambda b: b.seq)
        stored = [b.amount for b in rows]
        if not _increasing(stored):
            report.add("disorder", f"lot {lot_id}: stored amounts by seq {stored[:20]}…")
        events = [e for e in truth.streams.get(lot_id, []) if e.type == "bid"]
        streamed = [int(e.data["amount"]) for e in events]
        if not _increasing(streamed):
            report.add("disorder", f"lot {lot_id}: stream amounts {streamed[:20]}…")
        counts = [int(e.data["bidCount"]) for e in events]
        if counts != list(range(1, len(counts) + 1)):
            report.add("disorder", f"lot {lot_id}: stream bid counts {counts[:20]}…")
        if lot_id in truth.streams and stored != streamed:
            only_db = sorted(set(stored) - set(streamed))[:5]
            only_stream = sorted(set(streamed) - set(stored))[:5]
            report.add(
                "diverged",
                f"lot {lot_id}: {len(stored)} stored vs {len(streamed)} streamed "
                f"(only stored {only_db}, only streamed {only_stream})",
            )


def _state_at(events: list[StreamEvent], at: str | None) -> tuple[int, int] | None:
    """(price, bid count) of the last bid event at or before ``at``; ``None`` before any bid."""
    if at is None:
        return None
    limit = event_order(at)
    last = None
    for e in events:
        if event_order(e.id) > limit:
            break
        if e.type == "bid":
            last = (int(e.data["amount"]), int(e.data["bidCount"]))
    return last


def _streams(clients: list[SseClient], truth: Truth, report: Report) -> None:
    for n, client in enumerate(clients):
        stream = truth.streams.get(client.lot_id, [])
        name = f"client {n} (lot {client.lot_id})"
        opened = [c for c in client.connections if c.status == 200]
        report.sse_connections += len(client.connections)
        report.sse_reconnections += max(0, len(client.connections) - 1)
        for k, conn in enumerate(opened):
            _connection(f"{name} connection {k} on {conn.sse}", conn, stream, report)
        if not opened:
            continue
        got = [e.id for conn in opened for e in conn.events]
        for event_id, times in Counter(got).items():
            if times > 1:
                report.add("repeated", f"{name}: event {event_id} {times} times across reconnections")
        start = opened[0].snapshot_id
        begin = event_order(start) if start else (0, 0)
        expected = [e.id for e in stream if event_order(e.id) > begin]
        seen = set(got)
        missing = [i for i in expected if i not in seen]
        if missing:
            report.add("missed", f"{name}: {len(missing)} of {len(expected)} events, first {missing[0]}")
        foreign = sorted(set(got) - set(expected))
        if foreign:
            report.add("repeated", f"{name}: events {foreign[:3]} not in its part of the stream")


def _connection(name: str, conn: SseConnection, stream: list[StreamEvent], report: Report) -> None:
    ids = [e.id for e in conn.events]
    orders = [event_order(i) for i in ids]
    if any(a >= b for a, b in pairwise(orders)):
        report.add("repeated", f"{name}: event ids not strictly increasing")
    if conn.last_event_id is not None and conn.snapshot_id != conn.last_event_id:
        report.add(
            "snapshot", f"{name}: sent Last-Event-ID {conn.last_event_id}, snapshot at {conn.snapshot_id}"
        )
    price = count = None
    if conn.snapshot is not None:
        price, count = int(conn.snapshot["currentPrice"]), int(conn.snapshot["bidCount"])
        truth = _state_at(stream, conn.snapshot_id)
        if truth is not None and truth != (price, count):
            report.add(
                "snapshot", f"{name}: snapshot {price}/{count} at {conn.snapshot_id}, the stream says {truth}"
            )
    for e in conn.events:
        if e.type != "bid":
            continue
        amount, bids = int(e.data["amount"]), int(e.data["bidCount"])
        if (
            count is not None
            and price is not None
            and (bids <= count or (count > 0 and amount <= price) or amount < price)
        ):
            report.add("backwards", f"{name}: {price}/{count} then {amount}/{bids} at {e.id}")
        price, count = amount, bids
