"""Search throughput and latency on 100,000 generated Korean lots, each index against LIKE '%q%'.

    uv run --locked python bench/search.py [--lots 100000] [--seconds 8] [--clients 8]

For each lot index available here — SQLite FTS5 (the embedded default) and the n-gram table on
MariaDB (plus Elasticsearch when SAGOPALGO_ELASTICSEARCH_URL is set) — it generates the lots into
the catalog's tables, builds the index with the production rebuild (the code ``sagopalgo reindex``
runs, timed), then has ``--clients`` concurrent clients run, for ``--seconds``, the search the
marketplace's search box sends: a keyword and a category filter, with the category and status
facets. In the same run, on the same data and database, the baseline answers the same request
with a plain ``LIKE '%q%'`` on the catalog's title and description (a grouped count for the facets,
then the page). It prints queries/s and p50/p99 latency of both, and checks that both find the same
number of lots.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.api.composition import build_lot_index, open_market
from sagopalgo.api.db import upgrade
from sagopalgo.catalog.adapters.sql.tables import categories, lots
from sagopalgo.kernel.clock import SEOUL, SystemClock
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.settings import load_settings
from sagopalgo.platform.sql import create_engine
from sagopalgo.search.domain.query import SearchQuery
from sagopalgo.search.ports import LotIndex
from sagopalgo.testing.plugin import private_database

ERAS = ["고려", "조선", "통일신라", "백제", "가야", "근대", "대한제국", "조선 후기", "고려 중기", "삼국시대"]
WARES = [
    "청자",
    "백자",
    "분청사기",
    "청화백자",
    "옹기",
    "철화백자",
    "흑유",
    "금동",
    "은제",
    "나전칠기",
    "목기",
    "화각",
    "유기",
    "석조",
    "토기",
    "진사백자",
    "상감청자",
    "순청자",
    "녹유",
    "와당",
    "목각",
    "죽공예",
    "자수",
    "한지",
    "화조도",
]
MOTIFS = [
    "상감운학문",
    "모란문",
    "매죽문",
    "포도문",
    "운룡문",
    "연화문",
    "산수문",
    "초화문",
    "당초문",
    "어문",
    "국화문",
    "학문",
    "봉황문",
    "파초문",
    "송하문",
    "호작도",
    "십장생",
    "칠보문",
    "귀갑문",
    "뇌문",
    "인화문",
    "박지문",
    "철화문",
    "진사채",
    "음각",
    "양각",
    "투각",
    "버드나무문",
    "갈대문",
    "석류문",
]
FORMS = [
    "매병",
    "달항아리",
    "주병",
    "연적",
    "필통",
    "향로",
    "소반",
    "반닫이",
    "접시",
    "대접",
    "항아리",
    "편병",
    "정병",
    "주전자",
    "잔",
    "잔받침",
    "합",
    "호",
    "장군",
    "베개",
    "필세",
    "묵호",
    "인주함",
    "촛대",
    "문갑",
    "사방탁자",
    "머릿장",
    "뒤주",
    "함지",
    "바리",
    "주발",
    "수저",
    "병풍",
    "족자",
    "부채",
]
REGIONS = ["강진", "부안", "광주", "양구", "계룡산", "회령", "해남", "청송", "통영", "나주", "안동", "경주"]
LATIN = ["Celadon", "Porcelain", "Lacquer", "Goryeo", "Joseon", "Vase", "Jar", "Buncheong", "Inlaid"]
STATES = ["양호", "미세한 균열", "수리 흔적", "완형", "구연부 소손", "유약 박락"]
STATUSES = (
    ["SCHEDULED"] * 30 + ["OPEN"] * 5 + ["SOLD"] * 25 + ["UNSOLD"] * 20 + ["PAID"] * 18 + ["WITHDRAWN"] * 2
)
CATEGORIES = [
    "도자기",
    "목가구",
    "서화",
    "민속품",
    "금속공예",
    "불교미술",
    "근현대",
    "석조",
    "칠기",
    "직물",
    "문방구",
    "기타",
]
QUERIES = [
    "청자",
    "달항아리",
    "모란",
    "소반",
    "연적",
    "celadon",
    "분청",
    "향로",
    "강진",
    "나전칠기",
    "백자 항아리",
    "문갑",
]
MAX_KRW = 1_000_000_000_000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def generated_lot(n: int, category_ids: list[int], now: datetime, rng: random.Random) -> dict[str, Any]:
    title = f"{rng.choice(ERAS)} {rng.choice(WARES)} {rng.choice(MOTIFS)} {rng.choice(FORMS)}"
    if rng.random() < 0.15:
        title += f" {rng.choice(LATIN)} {rng.choice(LATIN)}"
    description = (
        f"{rng.randint(10, 19)}세기 {rng.choice(REGIONS)} 일대 작품. 높이 {rng.randint(5, 60)}cm, "
        f"보존 상태 {rng.choice(STATES)}. {rng.choice(MOTIFS)}이 돋보인다."
    )
    day = (now + timedelta(days=rng.randint(-30, 14))).astimezone(SEOUL).date()
    opens = datetime(day.year, day.month, day.day, 9, tzinfo=SEOUL).astimezone(UTC)
    start = rng.randint(10, 5_000) * 1_000
    bids = rng.randint(0, 30) if rng.random() < 0.6 else 0
    return {
        "seller_id": 1 + n % 500,
        "seller_username": f"seller{n % 500}",
        "title": title[:100],
        "description": description,
        "category_id": rng.choice(category_ids),
        "start_price": start,
        "bid_increment": 1_000,
        "price": start + bids * 1_000,
        "bid_count": bids,
        "auction_day": day,
        "opens_at": opens,
        "closes_at": opens + timedelta(hours=9),
        "extended_bidding": False,
        "status": rng.choice(STATUSES),
        "created_at": now - timedelta(seconds=n),
        "version": 0,
    }


async def generate(engine: AsyncEngine, count: int) -> list[int]:
    """The catalog's rows, written straight to its tables (no events: the rebuild indexes them)."""
    rng, now = random.Random(7), datetime.now(UTC)  # noqa: S311 - test data, not secrets
    async with engine.begin() as conn:
        await conn.execute(insert(categories), [{"name": n, "name_key": n} for n in CATEGORIES])
        category_ids = list((await conn.execute(select(categories.c.id).order_by(categories.c.id))).scalars())
    for start in range(0, count, 5_000):
        rows = [generated_lot(n, category_ids, now, rng) for n in range(start, min(count, start + 5_000))]
        async with engine.begin() as conn:
            await conn.execute(insert(lots), rows)
    return category_ids


async def like_baseline(engine: AsyncEngine, word: str, category_id: int) -> int:
    """The same request with LIKE: facet counts over the text match, then the category's page."""
    pattern = f"%{word}%"
    text = or_(lots.c.title.like(pattern), lots.c.description.like(pattern))
    listed = lots.c.status != "WITHDRAWN"
    async with engine.connect() as conn:
        grouped = await conn.execute(
            select(lots.c.category_id, lots.c.status, func.count())
            .where(listed, text)
            .group_by(lots.c.category_id, lots.c.status)
        )
        total = sum(n for c, _, n in grouped if c == category_id)
        page = select(lots).where(listed, text, lots.c.category_id == category_id)
        await conn.execute(page.order_by(lots.c.created_at.desc(), lots.c.id.desc()).limit(20))
    return total


async def indexed(index: LotIndex, word: str, category_id: int) -> int:
    query = SearchQuery.of(q=word, category_id=category_id, sort=None, max_krw=MAX_KRW)
    return (await index.search(query, PageRequest(1, 20))).total


async def drive(
    run: Callable[[str, int], Awaitable[int]], category_ids: list[int], clients: int, seconds: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def client(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - load, not secrets
        while time.monotonic() < stop:
            began = time.perf_counter()
            await run(rng.choice(QUERIES), rng.choice(category_ids))
            latencies.append((time.perf_counter() - began) * 1000)

    began = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return len(latencies) / (time.monotonic() - began), latencies


async def bench(name: str, env: dict[str, str], count: int, clients: int, seconds: float) -> None:
    settings = load_settings(env)
    engine = create_engine(settings.database_url, pool_size=max(10, clients))
    try:
        started = time.perf_counter()
        category_ids = await generate(engine, count)
        print(f"\n{name}: {count:,} lots generated in {time.perf_counter() - started:.1f} s")
        async with open_market(settings, SystemClock()) as market:
            started = time.perf_counter()
            written = await market.indexer.reindex()
            print(
                f"{name}: index rebuilt (sagopalgo reindex's code) in"
                f" {time.perf_counter() - started:.1f} s, {written:,} lots"
            )
        index, client = build_lot_index(settings, engine)
        try:
            for word in QUERIES[:6]:
                a, b = (
                    await indexed(index, word, category_ids[0]),
                    await like_baseline(engine, word, category_ids[0]),
                )
                mark = "same" if a == b else "DIFFERENT"
                print(f"  {word!r} in category {category_ids[0]}: index {a} lots, LIKE {b} lots ({mark})")
            runs: list[tuple[str, Callable[[str, int], Awaitable[int]]]] = [
                ("LIKE '%q%' baseline", lambda w, c: like_baseline(engine, w, c)),
                (f"{name} index", lambda w, c: indexed(index, w, c)),
            ]
            results = {}
            for label, run in runs:
                await drive(run, category_ids, clients, 1)  # warm up
                qps, lat = await drive(run, category_ids, clients, seconds)
                results[label] = qps
                print(
                    f"  {label:<26} {qps:8,.0f} queries/s  p50 {pct(lat, 50):7.1f} ms"
                    f"  p99 {pct(lat, 99):7.1f} ms  ({clients} clients, keyword + category + facets)"
                )
            (base, ours) = results.values()
            print(f"  {name}: {ours / base:.1f}x the LIKE baseline's throughput")
        finally:
            if client is not None:
                await client.close()
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace, mariadb_url: str, tmp: Path) -> None:
    sqlite_url = f"sqlite+aiosqlite:///{tmp / 'search-bench.db'}"
    await asyncio.to_thread(upgrade, sqlite_url)
    common = {"SAGOPALGO_MEDIA_DIR": str(tmp / "media"), "SAGOPALGO_LOG_LEVEL": "WARNING"}
    await bench(
        "SQLite FTS5", common | {"SAGOPALGO_DATABASE_URL": sqlite_url}, args.lots, args.clients, args.seconds
    )
    await bench(
        "MariaDB n-gram",
        common | {"SAGOPALGO_DATABASE_URL": mariadb_url},
        args.lots,
        args.clients,
        args.seconds,
    )
    es = os.environ.get("SAGOPALGO_ELASTICSEARCH_URL")
    if es:
        env = common | {
            "SAGOPALGO_DATABASE_URL": mariadb_url,
            "SAGOPALGO_ELASTICSEARCH_URL": es,
            "SAGOPALGO_ELASTICSEARCH_INDEX": f"sagopalgo-bench-{uuid.uuid4().hex[:8]}",
        }
        print("\n(Elasticsearch: the MariaDB lots above, indexed into the cluster)")
        await bench_es(env, args)
    else:
        print("\nElasticsearch: not measured (set SAGOPALGO_ELASTICSEARCH_URL to include it)")


async def bench_es(env: dict[str, str], args: argparse.Namespace) -> None:
    """Elasticsearch over the lots already generated in MariaDB (no second generation)."""
    settings = load_settings(env)
    engine = create_engine(settings.database_url, pool_size=max(10, args.clients))
    try:
        async with engine.connect() as conn:
            category_ids = list((await conn.execute(select(categories.c.id))).scalars())
        async with open_market(settings, SystemClock()) as market:
            started = time.perf_counter()
            await market.indexer.reindex()
            print(f"Elasticsearch: index rebuilt in {time.perf_counter() - started:.1f} s")
        index, client = build_lot_index(settings, engine)
        try:
            for label, run in (
                ("LIKE '%q%' baseline", lambda w, c: like_baseline(engine, w, c)),
                ("Elasticsearch index", lambda w, c: indexed(index, w, c)),
            ):
                qps, lat = await drive(run, category_ids, args.clients, args.seconds)
                print(
                    f"  {label:<26} {qps:8,.0f} queries/s  p50 {pct(lat, 50):7.1f} ms"
                    f"  p99 {pct(lat, 99):7.1f} ms"
                )
        finally:
            await client.close()
            await client_delete(env)
    finally:
        await engine.dispose()


async def client_delete(env: dict[str, str]) -> None:
    from sagopalgo.search.adapters.elasticsearch.index import create_client

    client = create_client(env["SAGOPALGO_ELASTICSEARCH_URL"])
    try:
        await client.indices.delete(
            index=f"{env['SAGOPALGO_ELASTICSEARCH_INDEX']}-*", ignore_unavailable=True
        )
    finally:
        await client.close()


if __name__ == "__main__":
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=8)
    arguments = parser.parse_args()
    with private_database("bench") as url, tempfile.TemporaryDirectory() as scratch:
        upgrade(url)
        asyncio.run(main(arguments, url, Path(scratch)))
