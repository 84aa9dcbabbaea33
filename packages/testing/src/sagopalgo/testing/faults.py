"""The fault scenario: a bid storm on several lots while processes die and dependencies fail.

Two ``serve api`` and two ``serve sse`` processes run on a private MariaDB and a private Redis
(``procs``); bidders, readers and SSE clients (``storm``) record every answer. Faults come one at
a time, each followed by a stretch of normal load:

- ``api-kill``: SIGKILL an API process mid-storm; the balancer drops it a second later and a new
  process takes its place once ready.
- ``redis-restart``: Redis shuts down (writing its dataset), stays down a moment, starts again.
- ``mariadb-stop``: MariaDB shuts down for ten seconds, then starts again.
- ``mariadb-freeze``: MariaDB is stopped with SIGSTOP (it still accepts connections but answers
  nothing) for a while, then continued: every request must still end within its timeouts.
- ``sse-kill``: SIGKILL an SSE process with clients attached; they resume on the other with
  ``Last-Event-ID``.

Our own processes are never restarted to recover: only the killed ones are replaced. Afterwards
the run waits for the bid-log writers and the SSE clients to catch up, reads the truth and hands
everything to the history checker. ``tests/faults`` runs it short; ``bench/faults.py`` long, beside
a run without faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from sagopalgo.platform.sql import create_engine
from sagopalgo.testing.history import Report, check, last_bid
from sagopalgo.testing.market import Market, seed_market
from sagopalgo.testing.procs import PrivateMariaDB, PrivateRedis, Service
from sagopalgo.testing.storm import (
    Recorder,
    Targets,
    bid_storm,
    caught_up,
    count_stored,
    read_copies,
    read_streams,
    read_truth,
    readers,
    sse_clients,
    stop_tasks,
)

__all__ = ["FAULTS", "SCENARIO_ENV", "FaultFigures", "Outcome", "Plan", "answer_budget", "any_problem", "run"]

FAULTS = ("api-kill", "redis-restart", "mariadb-stop", "mariadb-freeze", "sse-kill")
SECRET = "fault-test-secret-" + "f" * 32
PREFIX = "faults:"
SCENARIO_ENV = {
    "SAGOPALGO_DATABASE_TIMEOUT_SECONDS": "2",
    "SAGOPALGO_DATABASE_READ_TIMEOUT_SECONDS": "2",
    "SAGOPALGO_REDIS_TIMEOUT_SECONDS": "2",
    "SAGOPALGO_SCHEDULE_TICK_SECONDS": "1",
    "SAGOPALGO_LOG_FORMAT": "json",
}
"""The services' settings in a fault run: short timeouts and the in-process schedule ticking every
second (so it meets every fault). The bid-log writers keep the production claim time (30 s): each
retries its own pending entries first, so none waits for a claim after an outage."""


def answer_budget(env: dict[str, str]) -> float:
    """The longest a request may wait on a dependency that answers nothing, by the settings.

    A request that needs the database waits for a pooled connection (``DATABASE_TIMEOUT``), whose
    pre-ping then waits for an answer (``DATABASE_READ_TIMEOUT``); when that fails SQLAlchemy
    connects once more (TCP: ``DATABASE_TIMEOUT``, the greeting: ``DATABASE_READ_TIMEOUT``). A
    Redis call waits at most for a pooled connection, a connect and a read (``REDIS_TIMEOUT``
    each). Several calls of one request never each wait this long: the first that fails ends it.
    """

    def get(name: str) -> float:
        return float(env.get(f"SAGOPALGO_{name}", SCENARIO_ENV[f"SAGOPALGO_{name}"]))

    database = 2 * get("DATABASE_TIMEOUT_SECONDS") + 2 * get("DATABASE_READ_TIMEOUT_SECONDS")
    return max(database, 3 * get("REDIS_TIMEOUT_SECONDS"))


@dataclass
class Plan:
    faults: tuple[str, ...] = FAULTS
    bidders: int = 40
    lots: int = 4
    sse_per_lot: int = 4
    readers: int = 2
    pause_s: tuple[float, float] = (0.05, 0.25)
    warm_s: float = 3.0
    between_s: float = 3.0
    """Normal load after each fault has healed, before the next."""
    redis_down_s: float = 2.0
    mariadb_down_s: float = 10.0
    mariadb_frozen_s: float = 14.0
    """Longer than any request may wait on a database that answers nothing (``answer_budget``)."""
    baseline_s: float = 0.0
    """A run without faults, when ``faults`` is empty: how long the storm lasts."""
    env: dict[str, str] = field(default_factory=dict)
    """Settings of every service, over the scenario's own (``SCENARIO_ENV``)."""
    slow_after: float | None = None
    """Any answer slower than this is a violation (``slow``)."""
    settle_s: float = 90.0


@dataclass
class FaultFigures:
    name: str
    start: float
    """When the fault began (seconds since the recorder started)."""
    healed: float
    """When it was undone: the server back, or the dead process out of the balancer."""
    ready_s: float | None = None
    """Healed → every service's ``/health/ready`` answers 200 (a replacement: started → ready)."""
    first_bid_s: float | None = None
    """Healed → the first accepted bid answered (an API kill: from the kill)."""
    written_s: float | None = None
    """Healed → the database holds every bid the streams held at that moment."""
    reconnected_s: float | None = None
    """SSE kill → every client of the killed process streaming again."""
    answers: Counter[str] = field(default_factory=Counter)
    """Answers to requests made during the fault, by status (or the transport error)."""
    slowest_s: float = 0.0
    """The slowest of those answers."""

    def line(self) -> str:
        def s(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f} s"

        shown = ", ".join(f"{k}: {v}" for k, v in sorted(self.answers.items()))
        return (
            f"{self.name}: lasted {self.healed - self.start:.1f} s; answers {{{shown}}}; "
            f"slowest {self.slowest_s:.2f} s; ready {s(self.ready_s)}; first bid {s(self.first_bid_s)}; "
            f"written {s(self.written_s)}; SSE reconnected {s(self.reconnected_s)}"
        )


@dataclass
class Outcome:
    report: Report
    faults: list[FaultFigures]
    storm_s: float
    tries: int
    log_problems: list[str]
    """Service log lines that should never appear (unhandled errors, dead background tasks)."""
    recorder: Recorder
    """Everything the clients were told."""

    @property
    def accepted_per_s(self) -> float:
        return self.report.accepted / self.storm_s if self.storm_s else 0.0


class _Run:
    def __init__(self, plan: Plan, work: Path) -> None:
        self.plan, self.work = plan, work
        (work / "logs").mkdir(parents=True, exist_ok=True)
        self.mariadb = PrivateMariaDB(work / "mariadb")
        self.redis = PrivateRedis(work / "redis-data", durable=True)
        (work / "redis-data").mkdir(exist_ok=True)
        self.recorder = Recorder()
        self.apis: list[Service] = []
        self.sses: list[Service] = []
        self.replacing: list[asyncio.Task[float]] = []
        self.targets = Targets([], [])
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(5))
        self.env: dict[str, str] = {}
        self.database_url = ""
        self.market: Market | None = None
        self.started: list[Service] = []
        self.listeners: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ processes
    def _service(self, kind: str) -> Service:
        service = Service(kind, self.env, log=self.work / "logs" / f"{kind}-{len(self.started) + 1}.log")
        self.started.append(service)
        return service

    async def _ready(self, services: list[Service], seconds: float = 120) -> float:
        started = time.monotonic()
        deadline = started + seconds
        pending = list(services)
        while pending:
            if time.monotonic() > deadline:
                raise AssertionError(f"not ready: {[s.base for s in pending]}")
            for service in list(pending):
                if not service.alive:
                    raise AssertionError(
                        f"{service.kind} on {service.base} exited with {service.proc.returncode}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await self.http.get(f"{service.base}/health/ready")).status_code == 200:
                        pending.remove(service)
            await asyncio.sleep(0.1)
        return time.monotonic() - started

    async def start(self) -> None:
        await asyncio.to_thread(self.mariadb.start)
        self.database_url = await asyncio.to_thread(self.mariadb.create_database, "sagopalgo")
        from sagopalgo.api.db import upgrade  # the API's migrations: only a run needs them

        await asyncio.to_thread(upgrade, self.database_url)
        await asyncio.to_thread(self.redis.start)
        self.market = await seed_market(
            self.database_url, SECRET, bidders=self.plan.bidders, lots=self.plan.lots, minutes_open=240
        )
        self.env = {
            "SAGOPALGO_DATABASE_URL": self.database_url,
            "SAGOPALGO_REDIS_URL": self.redis.url,
            "SAGOPALGO_REDIS_PREFIX": PREFIX,
            "SAGOPALGO_JWT_SECRET": SECRET,
            **SCENARIO_ENV,
            **self.plan.env,
        }
        self.apis = [self._service("api"), self._service("api")]
        self.sses = [self._service("sse"), self._service("sse")]
        await self._ready(self.apis + self.sses)
        self.targets.apis[:] = [s.base for s in self.apis]
        self.targets.sses[:] = [s.base for s in self.sses]

    async def close(self) -> None:
        await stop_tasks([*self.listeners, *self.replacing])
        for service in self.started:
            await asyncio.to_thread(service.stop)
        await self.http.aclose()
        await asyncio.to_thread(self.redis.stop)
        await asyncio.to_thread(self.mariadb.close)

    # ------------------------------------------------------------------ measuring recovery
    def _window(self, figures: FaultFigures) -> None:
        for t in self.recorder.tries():
            if figures.start <= t.started <= figures.healed:
                figures.answers[str(t.status or t.error)] += 1
                figures.slowest_s = max(figures.slowest_s, t.elapsed)
        for client in self.recorder.clients:
            for conn in client.connections:
                if figures.start <= conn.started <= figures.healed:
                    figures.answers[f"sse {conn.status or conn.error}"] += 1
                    figures.slowest_s = max(figures.slowest_s, conn.elapsed)

    def _first_bid_after(self, healed: float) -> float | None:
        done = [t.started + t.elapsed for t in self.recorder.tries() if t.status == 201]
        after = [d for d in done if d >= healed]
        return min(after) - healed if after else None

    async def _recovery(self, figures: FaultFigures, seconds: float = 60) -> None:
        """Ready, first bid and written, measured from ``healed`` (the storm goes on meanwhile)."""
        assert self.market is not None
        healed_at = time.monotonic()
        figures.ready_s = await self._ready(self.apis + self.sses, seconds)
        redis = Redis.from_url(self.redis.url)
        engine = create_engine(self.database_url)
        try:
            streams = await read_streams(redis, PREFIX, self.market.lot_ids)
            target = sum(1 for events in streams.values() for e in events if e.type == "bid")
            deadline = healed_at + seconds
            while time.monotonic() < deadline:
                with contextlib.suppress(Exception):
                    if await count_stored(engine, self.market.lot_ids) >= target:
                        figures.written_s = time.monotonic() - healed_at
                        break
                await asyncio.sleep(0.1)
            while figures.first_bid_s is None and time.monotonic() < deadline:
                figures.first_bid_s = self._first_bid_after(figures.healed)
                await asyncio.sleep(0.1)
        finally:
            await redis.aclose()
            await engine.dispose()

    # ------------------------------------------------------------------ the faults
    async def _replace(self, kind: str, victim: Service) -> float:
        pool, targets = (self.apis, self.targets.apis) if kind == "api" else (self.sses, self.targets.sses)
        await asyncio.sleep(1.0)  # the balancer's health check notices
        targets.remove(victim.base)
        pool.remove(victim)
        replacement = self._service(kind)
        ready = await self._ready([replacement])
        pool.append(replacement)
        targets.append(replacement.base)
        return ready

    def _replacement_ready(self, figures: FaultFigures, replacing: asyncio.Task[float]) -> None:
        """The run goes on; the replacement's time to ready lands in ``figures`` when it comes."""

        def done(task: asyncio.Task[float]) -> None:
            if not task.cancelled() and task.exception() is None:
                figures.ready_s = task.result()

        replacing.add_done_callback(done)
        self.replacing.append(replacing)

    async def api_kill(self) -> FaultFigures:
        """The replacement joins when it is ready; the next fault does not wait for it."""
        victim = self.apis[0]
        figures = FaultFigures("api-kill", self.recorder.now(), 0.0)
        await asyncio.to_thread(victim.kill)
        replacing = asyncio.create_task(self._replace("api", victim))
        await asyncio.sleep(1.0)
        figures.healed = self.recorder.now()
        self._replacement_ready(figures, replacing)
        figures.first_bid_s = self._first_bid_after(figures.start)
        return figures

    async def redis_restart(self) -> FaultFigures:
        figures = FaultFigures("redis-restart", self.recorder.now(), 0.0)
        await asyncio.to_thread(self.redis.stop)
        await asyncio.sleep(self.plan.redis_down_s)
        await asyncio.to_thread(self.redis.start)
        figures.healed = self.recorder.now()
        await self._recovery(figures)
        return figures

    async def mariadb_stop(self) -> FaultFigures:
        figures = FaultFigures("mariadb-stop", self.recorder.now(), 0.0)
        await asyncio.to_thread(self.mariadb.stop)
        await asyncio.sleep(self.plan.mariadb_down_s)
        await asyncio.to_thread(self.mariadb.start)
        figures.healed = self.recorder.now()
        await self._recovery(figures)
        return figures

    async def mariadb_freeze(self) -> FaultFigures:
        figures = FaultFigures("mariadb-freeze", self.recorder.now(), 0.0)
        self.mariadb.freeze()
        await asyncio.sleep(self.plan.mariadb_frozen_s)
        self.mariadb.thaw()
        figures.healed = self.recorder.now()
        await self._recovery(figures)
        return figures

    async def sse_kill(self) -> FaultFigures:
        victim = self.sses[0]
        attached = [
            c
            for c in self.recorder.clients
            if c.connections and c.connections[-1].sse == victim.base and c.connections[-1].status == 200
        ]
        figures = FaultFigures("sse-kill", self.recorder.now(), 0.0)
        before = {id(c): len(c.connections) for c in attached}
        await asyncio.to_thread(victim.kill)
        replacing = asyncio.create_task(self._replace("sse", victim))
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 60:
            if all(any(conn.status == 200 for conn in c.connections[before[id(c)] :]) for c in attached):
                figures.reconnected_s = time.monotonic() - killed_at
                break
            await asyncio.sleep(0.05)
        figures.healed = self.recorder.now()
        self._replacement_ready(figures, replacing)
        return figures

    # ------------------------------------------------------------------ the run
    async def storm(self) -> Outcome:
        assert self.market is not None
        plan, market = self.plan, self.market
        faults: dict[str, Callable[[], Awaitable[FaultFigures]]] = {
            "api-kill": self.api_kill,
            "redis-restart": self.redis_restart,
            "mariadb-stop": self.mariadb_stop,
            "mariadb-freeze": self.mariadb_freeze,
            "sse-kill": self.sse_kill,
        }
        stop = asyncio.Event()
        listeners = await sse_clients(market, self.targets, self.recorder, per_lot=plan.sse_per_lot)
        self.listeners = listeners
        deadline = time.monotonic() + 30
        while any(not any(c.status == 200 for c in client.connections) for client in self.recorder.clients):
            if time.monotonic() > deadline:
                raise AssertionError("SSE clients did not connect")
            await asyncio.sleep(0.05)
        began = time.monotonic()
        load = [
            asyncio.create_task(
                bid_storm(
                    market, self.targets, self.recorder, stop, bidders=plan.bidders, pause_s=plan.pause_s
                )
            ),
            asyncio.create_task(readers(market, self.targets, self.recorder, stop, count=plan.readers)),
        ]
        figures: list[FaultFigures] = []
        try:
            await asyncio.sleep(plan.warm_s)
            for name in plan.faults:
                figures.append(await faults[name]())
                await asyncio.sleep(plan.between_s)
            if not plan.faults:
                await asyncio.sleep(plan.baseline_s)
        finally:
            stop.set()
            storm_s = time.monotonic() - began
            await asyncio.gather(*load)
        await asyncio.gather(*self.replacing)  # a replacement that never got ready fails the run
        for figure in figures:
            self._window(figure)
        await self._settle(listeners)
        truth = await read_truth(self.database_url, self.redis.url, PREFIX, market.lot_ids)
        report = check(
            self.recorder.attempts,
            truth,
            self.recorder.clients,
            reads=self.recorder.reads,
            slow_after=plan.slow_after,
        )
        return Outcome(
            report, figures, storm_s, len(self.recorder.tries()), self._log_problems(), self.recorder
        )

    async def _settle(self, listeners: list[asyncio.Task[None]]) -> None:
        """Until the database holds every streamed bid, the catalog and the search index each lot's
        last price, and every SSE client the last event (what is still missing then is reported)."""
        assert self.market is not None
        lot_ids = self.market.lot_ids
        redis = Redis.from_url(self.redis.url)
        engine = create_engine(self.database_url)
        deadline = time.monotonic() + self.plan.settle_s
        try:
            while time.monotonic() < deadline:
                streams = await read_streams(redis, PREFIX, lot_ids)
                streamed = sum(1 for events in streams.values() for e in events if e.type == "bid")
                last = {lot: last_bid(events) for lot, events in streams.items()}
                copies = await read_copies(engine, lot_ids)
                if (
                    await count_stored(engine, lot_ids) >= streamed
                    and caught_up(self.recorder, streams)
                    and all(
                        held.get(lot) == last[lot] for held in copies.values() for lot in lot_ids if last[lot]
                    )
                ):
                    break
                await asyncio.sleep(0.2)
        finally:
            await stop_tasks(listeners)
            await redis.aclose()
            await engine.dispose()

    def _log_problems(self) -> list[str]:
        """Log lines no fault may cause: a 500, a background task that died, output outside the logs."""
        found = []
        for path in sorted((self.work / "logs").glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    found.append(f"{path.name}: not a log record: {line[:200]}")
                elif record.get("level") in ("ERROR", "CRITICAL") and not _expected(record):
                    exc = str(record.get("exc"))[-300:]
                    found.append(f"{path.name}: {record.get('logger')}: {record.get('msg')}: {exc}")
        return found


def _expected(record: dict[str, Any]) -> bool:
    """Errors a dependency outage is allowed to log: SQLAlchemy's pool throwing away a connection
    the database closed or stopped answering. (The bid-log writers log an outage as one warning;
    a bid-log entry moved to the dead letters is an error no fault may cause.)"""
    message, logger = str(record.get("msg", "")), str(record.get("logger", ""))
    return logger.startswith("sqlalchemy.pool") and message.startswith("Exception during reset or similar")


async def run(plan: Plan, work: Path) -> Outcome:
    """Start everything under ``work``, run the plan, check the history, stop everything."""
    scenario = _Run(plan, work)
    try:
        await scenario.start()
        return await scenario.storm()
    finally:
        await scenario.close()


def any_problem(outcome: Outcome) -> dict[str, Any]:
    """What a test asserts empty: the checker's violations and the service logs' bad lines."""
    broken = {rule: found for rule, found in outcome.report.violations.items() if found}
    if outcome.log_problems:
        broken["logs"] = outcome.log_problems
    return broken
