"""A long fuzzing run of both services' OpenAPI documents over HTTP, and of the bid gates' property.

    uv run --locked python bench/fuzz.py [--examples 100] [--seed N] [--no-gates]

(1) Starts one API process and one SSE process (``sagopalgo serve``; MariaDB, Redis, payments on
    the local fake Toss), seeds a market (a lot open now, its seller, three bidders, one of them an
    admin), and runs schemathesis's engine against each document as every kind of caller: the
    same phases and checks as ``tests/fuzz`` (no 5xx, everything as documented, every 4xx a problem
    document with a code), first with the suite's bounded example count (the baseline) and then
    with ``--examples``, printing cases, findings and how many operations each reached with a 2xx.
(2) Runs the bid gates' property test (``test_bid_gate_properties.py``, in-process gate vs Redis
    gate) under the ``long`` Hypothesis profile and prints its statistics.
Needs MariaDB at SAGOPALGO_TEST_MARIADB_URL and Redis at SAGOPALGO_TEST_REDIS_URL (the test
defaults). It creates and drops a database of its own. Exits 1 if anything was found.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import schemathesis
from sqlalchemy import select, update

from sagopalgo.accounts.adapters.sql.tables import sessions, users
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.api.db import upgrade
from sagopalgo.payments.adapters.fake_toss import FakeToss
from sagopalgo.platform.sql import create_engine
from sagopalgo.testing.fuzz import EXAMPLES, Tally, fuzz_config, run
from sagopalgo.testing.market import seed_market
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service
from sagopalgo.testing.services import redis_server_url

SECRET = "bench-secret-" + "f" * 40
ROOT = Path(__file__).resolve().parent.parent
CLIENT_KEY = "test_ck_sagopalgo_fake_0000000000"


async def callers(database_url: str) -> dict[str, dict[str, str]]:
    """Fresh headers for each caller (tokens live 15 minutes; a long run mints them per pass).

    The market's accounts, oldest first: the seller, then the bidders; the last bidder is made an admin.
    """
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    issuer = JwtAccessTokenIssuer(SECRET, 900)
    try:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(users.c.id, users.c.username, sessions.c.id)
                    .join(sessions, sessions.c.user_id == users.c.id)
                    .order_by(users.c.id)
                )
            ).all()
            await conn.execute(update(users).where(users.c.id == rows[-1][0]).values(is_admin=True))
    finally:
        await engine.dispose()

    def bearer(row: tuple[int, str, str], roles: frozenset[str]) -> dict[str, str]:
        token = issuer.issue(user_id=row[0], username=row[1], roles=roles, session_id=row[2], now=now)
        return {"Authorization": f"Bearer {token}"}

    user = frozenset({"user"})
    return {
        "anonymous": {},
        "bidder": bearer(rows[1], user),
        "seller": bearer(rows[0], user),
        "admin": bearer(rows[-1], user | {"admin"}),
    }


def reached(tally: Tally) -> int:
    """Operations that answered 2xx at least once: how deep the run got, not just how wide."""
    return sum(1 for answers in tally.answers.values() if any(200 <= code < 300 for code in answers))


def line(name: str, examples: int, tally: Tally) -> str:
    return (
        f"  {name:<10} {examples:>5}/op  {tally.cases:>7,} cases  {tally.seconds:>6.1f} s  "
        f"2xx on {reached(tally):>2}/{len(tally.answers):<2} ops  "
        f"{len(tally.findings)} findings  {len(tally.errors)} errors"
    )


def fuzz(service: Service, headers: dict[str, str], examples: int, seed: int | None, streams: bool) -> Tally:
    config = fuzz_config(headers=headers, max_examples=examples, seed=seed, streams=streams)
    return run(schemathesis.openapi.from_url(f"{service.base}/schema/openapi.json", config=config))


def services(database_url: str, examples: int, seed: int | None) -> list[Tally]:
    toss = FakeToss()
    with toss.running():
        if toss.base_url is None:
            raise RuntimeError("the fake Toss did not start")
        env = {
            "SAGOPALGO_DATABASE_URL": database_url,
            "SAGOPALGO_REDIS_URL": redis_server_url(),
            "SAGOPALGO_REDIS_PREFIX": f"sagopalgo-bench:{uuid.uuid4().hex[:8]}:",
            "SAGOPALGO_JWT_SECRET": SECRET,
            "SAGOPALGO_TOSS_SECRET_KEY": toss.secret_key,
            "SAGOPALGO_TOSS_CLIENT_KEY": CLIENT_KEY,
            "SAGOPALGO_TOSS_BASE_URL": toss.base_url,
        }
        api, sse = Service("api", env), Service("sse", env)  # rate limits lifted (LOAD_LIMITS)
        tallies: list[Tally] = []
        try:
            api.wait_ready()
            sse.wait_ready()
            market = asyncio.run(seed_market(database_url, SECRET, bidders=3, minutes_open=240))
            print(f"market: lot {market.lot_id} open for 4 hours; API {api.base}, SSE {sse.base}")
            for label, target, streams in (("API", api, False), ("SSE", sse, True)):
                names = ("anonymous", "bidder", "seller", "admin") if target is api else ("anonymous",)
                for budget, size in (("baseline (the suite's budget)", EXAMPLES), ("long run", examples)):
                    print(f"{label} document, {budget}:")
                    for name in names:
                        headers = asyncio.run(callers(database_url))[name]
                        tally = fuzz(target, headers, size, seed, streams)
                        print(line(name, size, tally))
                        if tally.findings or tally.errors:
                            print(f"    seed {tally.seed}:\n{tally.report()}")
                        tallies.append(tally)
        finally:
            api.stop()
            sse.stop()
    return tallies


def gates() -> int:
    """The property test under the long profile; returns pytest's exit code."""
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "packages/bidding/tests/contract/test_bid_gate_properties.py",
        "-q",
        "-n",
        "0",
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=long",
        "--hypothesis-show-statistics",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    keep = ("passing", "failing", "Stopped", "%", "passed", "failed", "Falsifying", "reproduce")
    print(f"bid gates, in-process vs Redis, long profile ({time.monotonic() - started:.0f} s):")
    for text in done.stdout.splitlines():
        if any(word in text for word in keep):
            print(f"  {text.strip()}")
    return done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="examples per operation in the long run")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-gates", action="store_true", help="skip the bid gates' property run")
    args = parser.parse_args()
    with private_database("fuzz") as url:
        upgrade(url)
        tallies = services(url, args.examples, args.seed)
    found = sum(len(t.findings) + len(t.errors) for t in tallies)
    print(f"total: {sum(t.cases for t in tallies):,} cases, {found} findings and errors")
    failed = gates() if not args.no_gates else 0
    return 1 if found or failed else 0


if __name__ == "__main__":
    sys.exit(main())
