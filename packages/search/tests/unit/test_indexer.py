"""The indexer follows the catalog by events, repairs gaps by catching up, and rebuilds on demand.

It runs on the embedded index (SQLite FTS5) and an in-memory catalog of lots.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace

import pytest

from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.sql import create_engine
from sagopalgo.search.adapters.sql.fts import SqliteFtsLotIndex
from sagopalgo.search.application.indexer import CatchUp, Indexer
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import SearchHits, SearchQuery
from sagopalgo.search.ports import IndexWriter, LotIndex
from sagopalgo.testing.search import doc


class Catalog:
    """The catalog as the indexer sees it: lots by id (a real, in-memory ``LotSource``)."""

    def __init__(self, *docs: LotDoc) -> None:
        self.lots = {d.id: d for d in docs}
        self.reads = 0

    def change(self, lot: LotDoc) -> LotDoc:
        current = self.lots.get(lot.id)
        self.lots[lot.id] = replace(lot, version=current.version + 1 if current else 0)
        return self.lots[lot.id]

    async def docs(self, lot_ids: Sequence[int]) -> list[LotDoc]:
        self.reads += 1
        return [self.lots[i] for i in sorted(set(lot_ids)) if i in self.lots]

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        return [(i, self.lots[i].version) for i in sorted(self.lots) if i > after_id][:limit]


class Flaky:
    """The real index, whose next ``failures`` writes fail as if its server were down."""

    def __init__(self, index: LotIndex) -> None:
        self.index, self.failures, self.puts = index, 0, 0

    async def ensure(self) -> None:
        await self.index.ensure()

    async def put(self, docs: Sequence[LotDoc]) -> int:
        self.puts += 1
        if self.failures:
            self.failures -= 1
            raise ConnectionError("index down")
        return await self.index.put(docs)

    async def search(self, query: SearchQuery, page: PageRequest) -> SearchHits:
        return await self.index.search(query, page)

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        return await self.index.versions(after_id, limit)

    async def remove(self, lot_ids: Sequence[int]) -> None:
        await self.index.remove(lot_ids)

    def rebuild(self) -> AbstractAsyncContextManager[IndexWriter]:
        return self.index.rebuild()


@pytest.fixture
async def index(sqlite_url: str) -> AsyncIterator[Flaky]:
    engine = create_engine(sqlite_url)
    try:
        yield Flaky(SqliteFtsLotIndex(engine))
    finally:
        await engine.dispose()


async def titles(index: LotIndex) -> dict[int, str]:
    hits = await index.search(SearchQuery.of(max_krw=10**12), PageRequest(1, 100))
    return {d.id: d.title for d in hits.items}


@asynccontextmanager
async def running(indexer: Indexer, *, catch_up: bool = False) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(indexer.run(stop, catch_up=catch_up))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def settled(indexer: Indexer) -> None:
    await asyncio.wait_for(indexer.idle(), 5)


async def test_a_change_reaches_the_index_once_announced(index: Flaky) -> None:
    catalog = Catalog()
    indexer = Indexer(index=index, source=catalog)
    async with running(indexer):
        lot = catalog.change(doc(1, "조선 백자 달항아리"))
        await indexer.lot_changed(lot.id)
        await settled(indexer)
        assert await titles(index) == {1: "조선 백자 달항아리"}
        catalog.change(replace(lot, title="조선 백자 편병"))
        await indexer.lot_changed(lot.id)
        await settled(indexer)
        assert await titles(index) == {1: "조선 백자 편병"}
    assert indexer.stats.indexed == 2
    assert indexer.stats.percentile(99) is not None


async def test_a_burst_of_changes_to_one_lot_costs_one_write_of_its_latest_state(index: Flaky) -> None:
    catalog = Catalog()
    indexer = Indexer(index=index, source=catalog)
    for n in range(50):
        catalog.change(doc(1, "백자", bid_count=n))
        await indexer.lot_changed(1)  # the loop is not running yet: every event piles up
    async with running(indexer):
        await settled(indexer)
    assert index.puts == 1
    assert await index.versions(0, 10) == [(1, 49)]


async def test_a_failed_write_is_retried_and_nothing_is_lost(index: Flaky) -> None:
    catalog = Catalog()
    indexer = Indexer(index=index, source=catalog, retry_s=0.01)
    index.failures = 3
    async with running(indexer):
        for n in (1, 2, 3):
            await indexer.lot_changed(catalog.change(doc(n, f"청자 {n}")).id)
        await settled(indexer)
    assert await titles(index) == {1: "청자 1", 2: "청자 2", 3: "청자 3"}
    assert index.puts == 4


async def test_a_lot_the_catalog_no_longer_has_leaves_the_index(index: Flaky) -> None:
    await index.put([doc(9, "사라진 항아리")])
    indexer = Indexer(index=index, source=Catalog())
    await indexer.lot_changed(9)
    await indexer.flush()
    assert await titles(index) == {}


async def test_catching_up_fixes_what_events_missed(index: Flaky) -> None:
    catalog = Catalog(
        replace(doc(1, "백자 새 제목"), version=3),  # changed while no event reached the index
        doc(2, "청자 그대로"),
        doc(4, "새로 올라온 매병"),  # listed while the index was not listening
    )
    await index.put([replace(doc(1, "백자 옛 제목"), version=2), doc(2, "청자 그대로"), doc(3, "고아")])
    indexer = Indexer(index=index, source=catalog, page=2, batch=1)  # tiny pages: the merge walk
    assert await indexer.catch_up() == CatchUp(reindexed=2, removed=1)
    assert await titles(index) == {1: "백자 새 제목", 2: "청자 그대로", 4: "새로 올라온 매병"}
    assert await indexer.catch_up() == CatchUp(reindexed=0, removed=0)


async def test_every_process_catches_up_as_it_starts(index: Flaky) -> None:
    catalog = Catalog(doc(1, "백자"), doc(2, "청자"))
    indexer = Indexer(index=index, source=catalog)
    async with running(indexer, catch_up=True):
        for _ in range(100):
            if len(await titles(index)) == 2:
                break
            await asyncio.sleep(0.02)
    assert await titles(index) == {1: "백자", 2: "청자"}


async def test_a_reindex_rebuilds_everything_from_the_catalog(index: Flaky) -> None:
    catalog = Catalog(*(doc(n, f"백자 {n}") for n in range(1, 8)))
    await index.put([doc(1, "낡은 제목"), doc(50, "고아")])
    indexer = Indexer(index=index, source=catalog, page=3, batch=2)
    assert await indexer.reindex() == 7
    assert await titles(index) == {n: f"백자 {n}" for n in range(1, 8)}
