"""SSE fan-out: one SSE process holding 1,000 / 5,000 / 10,000 connections on one lot.

    uv run --locked python bench/sse.py [--seconds 10] [--rate 5] [--clients 4]

One real API process and one real SSE process (MariaDB + Redis). Client processes open the
connections (spread over ``--clients`` processes, so the client is not the bottleneck) in steps
of 100 (the baseline), 1,000, 5,000 and 10,000 connections, all on one lot. At each step bids are
placed through the API at a steady ``--rate`` per second, one after the other, and every client
records when each bid event arrives. Per step it prints:

- latency from acceptance to receipt, p50/p99, over every (event, connection) pair: from the bid's
  ``placedAt`` (the API's clock just before the gate accepted it: the conservative figure, used for
  the target) and from the moment the POST returned 201 (may be negative: a fast stream beats the
  HTTP answer). The 100-connection step is the latency baseline;
- resident memory (VmRSS) of the SSE process against its idle RSS (measured after one warm-up
  connection), as KiB per connection;
- the SSE process's CPU share while the bids ran, and events lost or streams dropped (should be 0).

Target (the issue): 10,000 connections with p99 under 250 ms and under 20 KiB per connection.
Clients and servers share the machine's clock. Needs MariaDB at SAGOPALGO_TEST_MARIADB_URL and
Redis at SAGOPALGO_TEST_REDIS_URL (the test defaults); creates and drops a database of its own and
deletes its Redis keys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import re
import resource
import time
import uuid
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import uvloop
from redis.asyncio import Redis

from sagopalgo.api.db import upgrade
from sagopalgo.testing.market import Market, seed_market
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service
from sagopalgo.testing.services import redis_server_url

SECRET = "bench-secret-" + "s" * 40
STEPS = (100, 1_000, 5_000, 10_000)
TARGET_CONNECTIONS, TARGET_P99_MS, TARGET_KIB = 10_000, 250.0, 20.0
_BID_COUNT = re.compile(rb'"bidCount":(\d+)')


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def raise_nofile(wanted: int) -> int:
    """Lift the soft open-files limit towards ``wanted`` (up to the hard limit); return the result."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ------------------------------------------------------------------ client processes
class _Listener(asyncio.Protocol):
    """One SSE connection, parsed by hand (HTTP/1.1 chunked, then SSE frames).

    A client this cheap leaves the machine's CPU to the server. Notes (bidCount, receipt time) of
    every bid event while recording.
    """

    def __init__(self, owner: _Clients, request: bytes) -> None:
        self.owner, self.request = owner, request
        self.buffer, self.body, self.need = b"", b"", -1  # need: -1 headers, 0 size line, n chunk
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.opened.done():
            self.owner.ended += 1
        else:
            self.opened.set_exception(ConnectionError("closed before the snapshot"))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self.buffer + data
        if self.need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            if buffer[9:12] != b"200":
                self.opened.set_exception(RuntimeError(buffer[:end].decode()))
                return
            buffer, self.need = buffer[end + 4 :], 0
        body = self.body
        while True:
            if self.need == 0:
                line = buffer.find(b"\r\n")
                if line < 0:
                    break
                self.need, buffer = int(buffer[:line], 16) + 2, buffer[line + 2 :]
            if len(buffer) < self.need:
                break
            body += buffer[: self.need - 2]
            buffer, self.need = buffer[self.need :], 0
        self.buffer = buffer
        *events, self.body = body.split(b"\r\n\r\n")
        if events and not self.opened.done():
            self.opened.set_result(None)
            self.owner.ready += 1
        if self.owner.recording:
            for event in events:
                if b"event: bid" in event and (found := _BID_COUNT.search(event)):
                    self.owner.counts.append(int(found[1]))
                    self.owner.received.append(now)


@dataclass
class _Clients:
    host: str
    port: int
    path: str
    ready: int = 0
    ended: int = 0
    failed: int = 0
    recording: bool = False
    counts: array[int] = field(default_factory=lambda: array("q"))
    received: array[float] = field(default_factory=lambda: array("d"))
    transports: list[asyncio.BaseTransport] = field(default_factory=list)

    async def open(self, slots: asyncio.Semaphore) -> None:
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: text/event-stream\r\n\r\n"
        )
        async with slots:  # hold a connect slot until the snapshot arrived
            try:
                listener = _Listener(self, request.encode())
                transport, _ = await asyncio.get_running_loop().create_connection(
                    lambda: listener, self.host, self.port
                )
                self.transports.append(transport)
                await asyncio.wait_for(listener.opened, 60)
            except Exception:
                self.failed += 1

    async def run(self, pipe: Connection) -> None:
        slots = asyncio.Semaphore(50)
        while True:
            command, arg = await asyncio.to_thread(pipe.recv)
            if command == "open":
                await asyncio.gather(*(self.open(slots) for _ in range(arg)))
                pipe.send((self.ready, self.failed, self.ended))
            elif command == "record":
                del self.counts[:], self.received[:]
                self.recording = True
                pipe.send(None)
            elif command == "collect":
                self.recording = False
                pipe.send((self.counts, self.received, self.ended))
            else:
                for transport in self.transports:
                    transport.close()
                pipe.send(None)
                return


def client_process(pipe: Connection, url: str, connections: int) -> None:
    raise_nofile(connections + 256)
    parts = urlsplit(url)
    uvloop.run(_Clients(parts.hostname or "127.0.0.1", parts.port or 80, parts.path).run(pipe))


class ClientPool:
    def __init__(self, url: str, processes: int, most: int) -> None:
        context = mp.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs = []
        for _ in range(processes):
            ours, theirs = context.Pipe()
            proc = context.Process(target=client_process, args=(theirs, url, most // processes + 1))
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)

    def ask(self, command: str, args: list[Any]) -> list[Any]:
        for pipe, arg in zip(self.pipes, args, strict=True):
            pipe.send((command, arg))
        return [pipe.recv() for pipe in self.pipes]

    def everyone(self, command: str) -> list[Any]:
        return self.ask(command, [None] * len(self.pipes))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.everyone("close")
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


# ------------------------------------------------------------------ the served processes
def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies over all cores, from /proc/stat: how loaded the whole machine was."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


class Bidder:
    """Sequential bids at a steady rate, alternating bidders; remembers when each was accepted."""

    def __init__(self, client: aiohttp.ClientSession, api: str, market: Market) -> None:
        self.client, self.market = client, market
        self.url = f"{api}/api/v1/lots/{market.lot_id}/bids"
        self.amount, self.turn = market.start_price, 0
        self.placed: dict[int, float] = {}  # bidCount -> placedAt (epoch s)
        self.answered: dict[int, float] = {}  # bidCount -> when the 201 arrived (epoch s)

    async def run(self, rate: float, seconds: float) -> set[int]:
        counts: set[int] = set()
        start = time.monotonic()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            token = self.market.bidder_tokens[self.turn % len(self.market.bidder_tokens)]
            self.turn += 1
            async with self.client.post(
                self.url, json={"amount": self.amount}, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                body = await response.json()
                answered = time.time()
            if response.status != 201:
                raise RuntimeError(f"bid refused: {response.status} {body}")
            count = body["bidCount"]
            self.placed[count] = datetime.fromisoformat(body["placedAt"]).timestamp()
            self.answered[count] = answered
            self.amount = body["currentPrice"] + self.market.increment
            counts.add(count)
        return counts


@dataclass
class Step:
    connections: int
    p50: float
    p99: float
    p50_201: float
    p99_201: float
    rss_kib: int
    kib_per_connection: float
    cpu_share: float
    us_per_event: float
    client_cpu: float
    machine: float
    missing: int
    dropped: int


async def warm_up(url: str) -> None:
    """One connection and its snapshot, so first-use costs (pools, imports) are in the idle RSS."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        while b"\r\n\r\n" not in await response.content.readany():
            pass


async def measure(
    pool: ClientPool, bidder: Bidder, sse_pid: int, idle_kib: int, n: int, rate: float, seconds: float
) -> Step:
    await asyncio.sleep(2)  # let the connect burst settle
    rss = rss_kib(sse_pid)
    await asyncio.to_thread(pool.everyone, "record")
    clients_before = sum(cpu_seconds(p.pid) for p in pool.procs if p.pid)
    machine_before = machine_busy()
    cpu_before, wall_before = cpu_seconds(sse_pid), time.monotonic()
    counts = await bidder.run(rate, seconds)
    await asyncio.sleep(2)  # stragglers
    wall = time.monotonic() - wall_before
    cpu_share = (cpu_seconds(sse_pid) - cpu_before) / wall
    client_cpu = (sum(cpu_seconds(p.pid) for p in pool.procs if p.pid) - clients_before) / wall
    busy_after = machine_busy()
    machine = (busy_after[0] - machine_before[0]) / max(1, busy_after[1] - machine_before[1])
    answers = await asyncio.to_thread(pool.everyone, "collect")
    from_placed: list[float] = []
    from_201: list[float] = []
    for got, received, _ in answers:
        for count, at in zip(got, received, strict=True):
            if count in counts:
                from_placed.append((at - bidder.placed[count]) * 1000)
                from_201.append((at - bidder.answered[count]) * 1000)
    dropped = sum(ended for _, _, ended in answers)
    return Step(
        connections=n,
        p50=pct(from_placed, 50),
        p99=pct(from_placed, 99),
        p50_201=pct(from_201, 50),
        p99_201=pct(from_201, 99),
        rss_kib=rss,
        kib_per_connection=(rss - idle_kib) / n,
        cpu_share=cpu_share,
        us_per_event=cpu_share * wall / max(1, len(from_placed)) * 1e6,
        client_cpu=client_cpu,
        machine=machine,
        missing=n * len(counts) - len(from_placed),
        dropped=dropped,
    )


def report(steps: list[Step], idle_kib: int, rate: float, nofile: int) -> None:
    print(f"\nSSE fan-out, one lot, {rate:g} bids/s; idle SSE RSS {idle_kib / 1024:.1f} MiB; nofile {nofile}")
    print(
        f"{'conns':>7} {'p50 ms':>7} {'p99 ms':>7} {'p50/201':>8} {'p99/201':>8}"
        f" {'RSS MiB':>8} {'KiB/conn':>9} {'SSE CPU':>8} {'µs/event':>8} {'clients':>8} {'machine':>8}"
        f" {'missing':>8} {'dropped':>8}"
    )
    for s in steps:
        print(
            f"{s.connections:>7,} {s.p50:>7.1f} {s.p99:>7.1f} {s.p50_201:>8.1f} {s.p99_201:>8.1f}"
            f" {s.rss_kib / 1024:>8.1f} {s.kib_per_connection:>9.1f} {s.cpu_share:>8.0%}"
            f" {s.us_per_event:>8.1f} {s.client_cpu:>8.0%} {s.machine:>8.0%}"
            f" {s.missing:>8,} {s.dropped:>8,}"
        )
    base = steps[0]
    print(f"latency baseline: {base.connections} connections, p50 {base.p50:.1f} ms, p99 {base.p99:.1f} ms")
    final = next((s for s in steps if s.connections == TARGET_CONNECTIONS), None)
    if final is not None:
        ok = final.p99 < TARGET_P99_MS and final.kib_per_connection < TARGET_KIB and not final.missing
        print(
            f"target: {TARGET_CONNECTIONS:,} connections, p99 < {TARGET_P99_MS:.0f} ms and"
            f" < {TARGET_KIB:.0f} KiB/conn, nothing lost -> p99 {final.p99:.1f} ms,"
            f" {final.kib_per_connection:.1f} KiB/conn, {final.missing} lost: {'MET' if ok else 'MISSED'}"
        )


async def main(
    database_url: str, seconds: float, rate: float, processes: int, steps: tuple[int, ...]
) -> None:
    nofile = raise_nofile(max(steps) + 1_024)  # the served processes inherit it
    if nofile < max(steps) + 256:
        raise SystemExit(f"RLIMIT_NOFILE is {nofile}: too low for {max(steps):,} connections")
    prefix = f"sagopalgo-bench:{uuid.uuid4().hex[:8]}:"
    env = {
        "SAGOPALGO_DATABASE_URL": database_url,
        "SAGOPALGO_REDIS_URL": redis_server_url(),
        "SAGOPALGO_REDIS_PREFIX": prefix,
        "SAGOPALGO_JWT_SECRET": SECRET,
    }
    # Service lifts the rate limits (LOAD_LIMITS): every connection here comes from 127.0.0.1.
    api, sse = Service("api", env), Service("sse", env)
    pool: ClientPool | None = None
    try:
        api.wait_ready()
        sse.wait_ready()
        market = await seed_market(database_url, SECRET, bidders=10, minutes_open=60)
        url = f"{sse.base}/sse/v1/lots/{market.lot_id}/events"
        await warm_up(url)
        await asyncio.sleep(1)
        idle = rss_kib(sse.proc.pid)
        pool = ClientPool(url, processes, max(steps))
        results: list[Step] = []
        async with aiohttp.ClientSession() as client:
            bidder = Bidder(client, api.base, market)
            await bidder.run(rate, 1)  # warm the API and the gate
            held = 0
            for n in steps:
                adding = [(n - held) // processes + (i < (n - held) % processes) for i in range(processes)]
                began = time.monotonic()
                answers = await asyncio.to_thread(pool.ask, "open", adding)
                failed = sum(f for _, f, _ in answers)
                if failed:
                    raise RuntimeError(f"{failed} connections failed to open")
                held = n
                print(f"{n:,} connections open ({time.monotonic() - began:.1f} s to add {sum(adding):,})")
                results.append(await measure(pool, bidder, sse.proc.pid, idle, n, rate, seconds))
        report(results, idle, rate, nofile)
    finally:
        if pool is not None:
            pool.close()
        api.stop()
        sse.stop()
        redis = Redis.from_url(redis_server_url())
        try:
            keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="bidding time per step")
    parser.add_argument("--rate", type=float, default=5, help="bids per second")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--steps", type=lambda s: tuple(int(x) for x in s.split(",")), default=STEPS)
    args = parser.parse_args()
    with private_database("bench") as url:
        upgrade(url)
        asyncio.run(main(url, args.seconds, args.rate, args.clients, args.steps))
