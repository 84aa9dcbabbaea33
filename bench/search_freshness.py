"""How soon a change reaches search, over HTTP, on the embedded and the MariaDB + Redis deployments.

    uv run --locked python bench/search_freshness.py [--rounds 10]

Against a real ``sagopalgo serve api`` process per deployment, each round makes every kind of
change the index follows — a new lot, an edit, a withdrawal, a status change (the admin's
"open the day") and an accepted bid — and times, from the moment the write's response arrives,
how long until ``GET /api/v1/search/lots`` shows it (polled every 5 ms). The target is under
1 s; the original lagged the database by a Logstash polling interval. Needs MariaDB and Redis at
the test defaults; creates and drops a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert

from sagopalgo.accounts.adapters.sql.tables import sessions, users
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.api.db import upgrade
from sagopalgo.catalog.adapters.sql.tables import categories, lots
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.platform.sql import create_engine
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service
from sagopalgo.testing.services import redis_server_url

SECRET = "bench-secret-" + "f" * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
KINDS = ["new lot", "edit", "withdrawal", "status change", "accepted bid"]


async def seed(database_url: str) -> dict[str, Any]:
    """An admin, a seller and a bidder with live tokens, and a category (straight into the database)."""
    now, tag = datetime.now(UTC), uuid.uuid4().hex[:8]
    issuer = JwtAccessTokenIssuer(SECRET, 900)
    engine = create_engine(database_url)
    people: dict[str, Any] = {}
    try:
        async with engine.begin() as conn:
            for role in ("admin", "seller", "bidder"):
                name = f"f{tag}{role}"
                result = await conn.execute(
                    insert(users).values(
                        email=f"{name}@example.com",
                        username=name,
                        username_key=name,
                        password_hash="$argon2id$not-used",  # noqa: S106 - nobody signs in with it
                        is_admin=role == "admin",
                        created_at=now,
                    )
                )
                user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                session_id = uuid.uuid4().hex
                await conn.execute(insert(sessions).values(id=session_id, user_id=user_id, created_at=now))
                roles = frozenset({"user", "admin"} if role == "admin" else {"user"})
                people[role] = issuer.issue(
                    user_id=user_id, username=name, roles=roles, session_id=session_id, now=now
                )
                people[f"{role}_id"] = user_id
            created = await conn.execute(
                insert(categories).values(name=f"도자기{tag}", name_key=f"도자기{tag}")
            )
            people["category"] = int(created.inserted_primary_key[0])  # type: ignore[index]
    finally:
        await engine.dispose()
    return people


async def open_now_lot(database_url: str, people: dict[str, Any], title: str) -> None:
    """A scheduled lot of today whose opening has passed: the admin's "open" will move it."""
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(lots).values(
                    seller_id=people["seller_id"],
                    seller_username="seller",
                    title=title,
                    description="",
                    category_id=people["category"],
                    start_price=10_000,
                    bid_increment=1_000,
                    price=10_000,
                    bid_count=0,
                    auction_day=now.astimezone(SEOUL).date(),
                    opens_at=now - timedelta(minutes=1),
                    closes_at=now + timedelta(minutes=30),
                    extended_bidding=False,
                    status="SCHEDULED",
                    created_at=now,
                    version=0,
                )
            )
    finally:
        await engine.dispose()


class Client:
    def __init__(self, http: aiohttp.ClientSession, base: str, people: dict[str, Any]) -> None:
        self.http, self.base, self.people = http, base, people

    async def call(self, method: str, path: str, who: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.people[who]}"} if who else {}
        async with self.http.request(method, self.base + path, headers=headers, **kwargs) as response:
            body = await response.json(content_type=None) if response.status != 204 else None
            if response.status >= 300:
                raise RuntimeError(f"{method} {path} answered {response.status}: {body}")
            return body

    async def photo(self) -> str:
        ticket = await self.call(
            "POST", "/api/v1/uploads/images", "seller", json={"contentType": "image/png", "size": len(PNG)}
        )
        form = aiohttp.FormData()
        for key, value in ticket["fields"].items():
            form.add_field(key, value)
        form.add_field("file", PNG, filename="photo.png", content_type="image/png")
        async with self.http.post(ticket["uploadUrl"], data=form) as response:
            if response.status >= 300:
                raise RuntimeError(f"upload answered {response.status}")
        return str(ticket["key"])

    async def seen(self, params: dict[str, Any], ok: Callable[[dict[str, Any]], bool], since: float) -> float:
        """Milliseconds from ``since`` until search shows what ``ok`` looks for (10 s at most)."""
        while time.perf_counter() - since < 10:
            if ok(await self.call("GET", "/api/v1/search/lots", params=params)):
                return (time.perf_counter() - since) * 1000
            await asyncio.sleep(0.005)
        raise RuntimeError(f"search did not show {params} within 10 s")


async def one_round(client: Client, database_url: str) -> dict[str, float]:
    tag, people = f"f{uuid.uuid4().hex[:10]}", client.people
    tomorrow = (datetime.now(UTC).astimezone(SEOUL).date() + timedelta(days=1)).isoformat()
    body = {
        "title": f"고려청자 상감운학문 매병 {tag}",
        "description": "12세기",
        "categoryId": people["category"],
        "startPrice": 10_000,
        "bidIncrement": 1_000,
        "auctionDay": tomorrow,
        "imageKeys": [await client.photo()],
    }
    took: dict[str, float] = {}
    lot = await client.call("POST", "/api/v1/lots", "seller", json=body)
    since = time.perf_counter()
    took["new lot"] = await client.seen({"q": f"청자 {tag}"}, lambda b: b["total"] == 1, since)

    await client.call(
        "PATCH", f"/api/v1/lots/{lot['id']}", "seller", json={"title": f"조선 백자 달항아리 {tag}"}
    )
    since = time.perf_counter()
    took["edit"] = await client.seen({"q": f"달항아리 {tag}"}, lambda b: b["total"] == 1, since)

    await client.call("DELETE", f"/api/v1/lots/{lot['id']}", "seller")
    since = time.perf_counter()
    took["withdrawal"] = await client.seen({"q": tag}, lambda b: b["total"] == 0, since)

    await open_now_lot(database_url, people, f"분청사기 편병 {tag}")
    today = datetime.now(UTC).astimezone(SEOUL).date().isoformat()
    await client.call("POST", f"/api/v1/admin/auction-days/{today}/open", "admin")
    since = time.perf_counter()
    took["status change"] = await client.seen({"q": tag, "status": "OPEN"}, lambda b: b["total"] == 1, since)
    opened = (await client.call("GET", "/api/v1/search/lots", params={"q": tag}))["items"][0]["id"]
    await client.call("POST", f"/api/v1/lots/{opened}/bids", "bidder", json={"amount": 10_000})
    since = time.perf_counter()
    took["accepted bid"] = await client.seen(
        {"q": tag}, lambda b: b["total"] == 1 and b["items"][0]["bidCount"] == 1, since
    )
    return took


async def deployment(name: str, env: dict[str, str], database_url: str, rounds: int) -> None:
    api = Service("api", env | {"SAGOPALGO_SCHEDULE": "off", "SAGOPALGO_JWT_SECRET": SECRET})
    try:
        api.wait_ready()
        people = await seed(database_url)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            client = Client(http, api.base, people)
            await one_round(client, database_url)  # warm up
            samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
            for _ in range(rounds):
                for kind, ms in (await one_round(client, database_url)).items():
                    samples[kind].append(ms)
        print(f"\n{name} ({rounds} rounds): write answered -> visible in search")
        for kind in KINDS:
            values = sorted(samples[kind])
            verdict = "ok" if values[-1] < 1000 else "OVER 1 s"
            print(
                f"  {kind:<14} median {values[len(values) // 2]:6.0f} ms"
                f"   max {values[-1]:6.0f} ms   {verdict}"
            )
    finally:
        api.stop()


async def main(mariadb_url: str, rounds: int, tmp: Path) -> None:
    sqlite_url = f"sqlite+aiosqlite:///{tmp / 'freshness.db'}"
    await asyncio.to_thread(upgrade, sqlite_url)
    embedded = {"SAGOPALGO_DATABASE_URL": sqlite_url, "SAGOPALGO_MEDIA_DIR": str(tmp / "media-e")}
    await deployment("embedded (SQLite FTS5, in-process gate)", embedded, sqlite_url, rounds)
    production = {
        "SAGOPALGO_DATABASE_URL": mariadb_url,
        "SAGOPALGO_REDIS_URL": redis_server_url(),
        "SAGOPALGO_REDIS_PREFIX": f"sagopalgo-bench:{uuid.uuid4().hex[:8]}:",
        "SAGOPALGO_MEDIA_DIR": str(tmp / "media-m"),
    }
    await deployment("MariaDB n-gram + Redis gate", production, mariadb_url, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    with private_database("fresh") as url, tempfile.TemporaryDirectory() as scratch:
        upgrade(url)
        asyncio.run(main(url, rounds, Path(scratch)))
