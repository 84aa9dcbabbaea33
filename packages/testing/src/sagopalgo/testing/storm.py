"""Clients for fault runs: bidders, readers and live SSE clients that record what they were told.

They behave as clients behind a load balancer do: a bid whose answer did not come (a broken
connection) or was a 503 is sent again with the same ``Idempotency-Key`` to whichever process the
balancer offers next, until a definitive answer; an SSE client whose stream ended reconnects to a
live process with ``Last-Event-ID``. Everything lands in a ``Recorder`` for the history checker
(``sagopalgo.testing.history``); ``read_truth`` then reads the database and the lot streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.bidding.adapters.sql.tables import bids
from sagopalgo.catalog.adapters.sql.tables import lots
from sagopalgo.platform.sql import create_engine
from sagopalgo.realtime.contract import EVENT_DATA, EVENT_TYPE, lot_stream_key
from sagopalgo.search.adapters.sql.tables import documents
from sagopalgo.testing.history import (
    BidAttempt,
    SseClient,
    SseConnection,
    StoredBid,
    StreamEvent,
    Truth,
    Try,
    event_order,
)
from sagopalgo.testing.market import Market

__all__ = [
    "Recorder",
    "Targets",
    "bid_storm",
    "caught_up",
    "count_stored",
    "read_copies",
    "read_streams",
    "read_truth",
    "readers",
    "sse_clients",
    "stop_tasks",
]


@dataclass
class Targets:
    """What the load balancer routes to right now; the fault driver edits the lists in place."""

    apis: list[str]
    sses: list[str]


@dataclass
class Recorder:
    """Everything the clients were told; times are seconds since the recorder was made."""

    t0: float = field(default_factory=time.monotonic)
    attempts: list[BidAttempt] = field(default_factory=list)
    reads: list[Try] = field(default_factory=list)
    clients: list[SseClient] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def tries(self) -> list[Try]:
        """Every HTTP answer: bid tries and reads."""
        return [t for a in self.attempts for t in a.tries] + self.reads


def _problem(response: httpx.Response) -> tuple[dict[str, Any], str | None]:
    try:
        body = response.json()
    except ValueError:
        return {}, None
    if not isinstance(body, dict):
        return {}, None
    code = body.get("code")
    return body, code if isinstance(code, str) else None


async def _ask(
    client: httpx.AsyncClient, recorder: Recorder, method: str, base: str, path: str, **kwargs: Any
) -> tuple[Try, dict[str, Any]]:
    started = time.monotonic()
    try:
        response = await client.request(method, base + path, **kwargs)
    except httpx.HTTPError as exc:
        elapsed = time.monotonic() - started
        return Try(base, started - recorder.t0, elapsed, None, error=type(exc).__name__), {}
    elapsed = time.monotonic() - started
    body, code = _problem(response)
    answer = Try(
        base,
        started - recorder.t0,
        elapsed,
        response.status_code,
        code=code,
        retry_after=response.headers.get("retry-after"),
    )
    return answer, body


async def bid_storm(
    market: Market,
    targets: Targets,
    recorder: Recorder,
    stop: asyncio.Event,
    *,
    bidders: int,
    pause_s: tuple[float, float] = (0.05, 0.25),
    resolve_s: float = 60.0,
    seed: int = 10,
) -> None:
    """``bidders`` bidders bid on random lots until ``stop``; each then resolves the bid under way.

    A bidder bids one to three increments over the highest price it has heard of for the lot, so
    most bids are contested and many are refused as too low; the pause between bids keeps the rate
    a busy afternoon's rather than a benchmark's.
    """
    prices: dict[int, int] = {lot: market.start_price - market.increment for lot in market.lot_ids}
    limits = httpx.Limits(max_connections=bidders * 2, max_keepalive_connections=bidders * 2)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, connect=10), limits=limits) as client:

        async def attempt(n: int, rng: random.Random) -> None:
            token, bidder = market.bidder_tokens[n], market.bidder_ids[n]
            lot = rng.choice(market.lot_ids)
            amount = max(prices[lot] + market.increment * rng.randint(1, 3), market.start_price)
            bid = BidAttempt(uuid.uuid4().hex, lot, bidder, amount)
            recorder.attempts.append(bid)
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": bid.key}
            deadline: float | None = None
            hop = 0
            while True:
                if stop.is_set() and deadline is None:
                    deadline = time.monotonic() + resolve_s
                apis = targets.apis
                base = apis[(n + hop) % len(apis)]
                hop += 1
                answer, body = await _ask(
                    client,
                    recorder,
                    "POST",
                    base,
                    f"/api/v1/lots/{lot}/bids",
                    json={"amount": amount},
                    headers=headers,
                )
                answer.lot_id = lot
                if answer.status == 201:
                    answer.bid_id, answer.amount = body.get("id"), body.get("amount")
                    prices[lot] = max(prices[lot], int(body.get("currentPrice", 0)))
                elif answer.code == "BID_TOO_LOW" and "minimumBid" in body:
                    prices[lot] = max(prices[lot], int(body["minimumBid"]) - market.increment)
                bid.tries.append(answer)
                if answer.definitive or (deadline is not None and time.monotonic() > deadline):
                    return
                # As a client should: Retry-After when told, else a moment and the next process.
                await asyncio.sleep(float(answer.retry_after or 0.1) if answer.status == 503 else 0.1)

        async def bidder(n: int) -> None:
            rng = random.Random(seed * 1_000 + n)  # noqa: S311 - a load pattern, not a secret
            await asyncio.sleep(rng.uniform(*pause_s))
            while not stop.is_set():
                await attempt(n, rng)
                await asyncio.sleep(rng.uniform(*pause_s))

        await asyncio.gather(*(bidder(n) for n in range(min(bidders, len(market.bidder_tokens)))))


async def readers(
    market: Market,
    targets: Targets,
    recorder: Recorder,
    stop: asyncio.Event,
    *,
    count: int = 2,
    pause_s: float = 0.2,
) -> None:
    """Anonymous readers of lot pages and bid histories (the database's side of the API)."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, connect=10)) as client:

        async def reader(n: int) -> None:
            rng = random.Random(n)  # noqa: S311 - a load pattern, not a secret
            while not stop.is_set():
                lot = rng.choice(market.lot_ids)
                path = rng.choice((f"/api/v1/lots/{lot}", f"/api/v1/lots/{lot}/bids"))
                apis = targets.apis
                answer, _ = await _ask(client, recorder, "GET", apis[rng.randrange(len(apis))], path)
                recorder.reads.append(answer)
                await asyncio.sleep(pause_s)

        await asyncio.gather(*(reader(n) for n in range(count)))


async def _listen(http: httpx.AsyncClient, base: str, client: SseClient, recorder: Recorder) -> None:
    conn = SseConnection(base, client.last_id if client.connections else None)
    client.connections.append(conn)
    headers = {"Last-Event-ID": conn.last_event_id} if conn.last_event_id else {}
    started = time.monotonic()
    try:
        async with http.stream(
            "GET", f"{base}/sse/v1/lots/{client.lot_id}/events", headers=headers
        ) as response:
            conn.status, conn.elapsed = response.status_code, time.monotonic() - started
            conn.started = started - recorder.t0
            if response.status_code != 200:
                await response.aread()
                _, conn.code = _problem(response)
                conn.retry_after = response.headers.get("retry-after")
                return
            event: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line == "":
                    if "event" in event and "data" in event:
                        data = json.loads(event["data"])
                        if event["event"] == "snapshot":
                            conn.snapshot, conn.snapshot_id = data, event.get("id")
                        else:
                            conn.events.append(StreamEvent(event.get("id", ""), event["event"], data))
                    event = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    event[name] = value[1:] if value.startswith(" ") else value
    except httpx.HTTPError as exc:
        conn.error = type(exc).__name__
        if conn.status is None:
            conn.elapsed = time.monotonic() - started
            conn.started = started - recorder.t0


async def sse_clients(
    market: Market, targets: Targets, recorder: Recorder, *, per_lot: int, reconnect_s: float = 0.25
) -> list[asyncio.Task[None]]:
    """``per_lot`` clients on each lot, spread over the SSE processes; each reconnects for ever.

    A stream that ends (its process died, or cut it off) is resumed on the next process with
    ``Last-Event-ID``. Returns the tasks: cancel them once every client has caught up.
    """

    async def follow(client: SseClient, first: int) -> None:
        k = first
        async with httpx.AsyncClient(timeout=httpx.Timeout(connect=10, read=30, write=10, pool=10)) as http:
            while True:
                sses = targets.sses
                await _listen(http, sses[k % len(sses)], client, recorder)
                k += 1
                await asyncio.sleep(reconnect_s)

    tasks = []
    n = 0
    for lot in market.lot_ids:
        for _ in range(per_lot):
            client = SseClient(lot)
            recorder.clients.append(client)
            tasks.append(asyncio.create_task(follow(client, n), name=f"sse-client-{n}"))
            n += 1
    return tasks


async def read_streams(redis: Redis, prefix: str, lot_ids: Sequence[int]) -> dict[int, list[StreamEvent]]:
    """Each lot's whole event stream, oldest first."""
    streams: dict[int, list[StreamEvent]] = {}
    for lot in lot_ids:
        entries: Any = await redis.xrange(lot_stream_key(prefix, lot))
        streams[lot] = [
            StreamEvent(
                entry_id.decode(),
                fields[EVENT_TYPE.encode()].decode(),
                json.loads(fields[EVENT_DATA.encode()]),
            )
            for entry_id, fields in entries
        ]
    return streams


async def read_copies(engine: AsyncEngine, lot_ids: Sequence[int]) -> dict[str, dict[int, tuple[int, int]]]:
    """(price, bid count) of each lot as the catalog and the search index (MariaDB's) hold them."""
    wanted = list(lot_ids)
    async with engine.connect() as conn:
        catalog = await conn.execute(
            select(lots.c.id, lots.c.price, lots.c.bid_count).where(lots.c.id.in_(wanted))
        )
        index = await conn.execute(
            select(documents.c.id, documents.c.price, documents.c.bid_count).where(documents.c.id.in_(wanted))
        )
        return {
            "catalog": {int(r.id): (int(r.price), int(r.bid_count)) for r in catalog},
            "search index": {int(r.id): (int(r.price), int(r.bid_count)) for r in index},
        }


async def read_truth(database_url: str, redis_url: str, prefix: str, lot_ids: Sequence[int]) -> Truth:
    """The stored bids of ``lot_ids``, their event streams and the copies of their prices."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        bids.c.id, bids.c.lot_id, bids.c.seq, bids.c.bidder_id, bids.c.amount, bids.c.proxy
                    ).where(bids.c.lot_id.in_(list(lot_ids)))
                )
            ).all()
        copies = await read_copies(engine, lot_ids)
    finally:
        await engine.dispose()
    stored = [StoredBid(r.id, r.lot_id, r.seq, r.bidder_id, r.amount, bool(r.proxy)) for r in rows]
    redis = Redis.from_url(redis_url)
    try:
        streams = await read_streams(redis, prefix, lot_ids)
    finally:
        await redis.aclose()
    return Truth(stored, streams, copies)


async def count_stored(engine: AsyncEngine, lot_ids: Sequence[int]) -> int:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(func.count()).select_from(bids).where(bids.c.lot_id.in_(list(lot_ids)))
        )
        return int(found.scalar_one())


def caught_up(recorder: Recorder, streams: dict[int, list[StreamEvent]]) -> bool:
    """Every SSE client has received its lot's newest event (or the lot has none)."""
    for client in recorder.clients:
        events = streams.get(client.lot_id)
        want = events[-1].id if events else None
        have = client.last_id
        if want is not None and (have is None or event_order(have) < event_order(want)):
            return False
    return True


async def stop_tasks(tasks: Sequence[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
