"""Search over HTTP on both deployments: every kind of change reaches it, filters and facets, bad input.

The production-like database is shared by a worker's tests, so each test searches for a word of
its own (a random tag in its titles) or inside categories it created.
"""

import asyncio
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from sagopalgo.api.composition import build_catalog, build_image_store, build_lot_index
from sagopalgo.catalog.application.service import NewLot
from sagopalgo.cli.main import cli
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.settings import load_settings
from sagopalgo.platform.sql import create_engine, session_factory
from sagopalgo.search.adapters.opensearch.index import OpenSearchLotIndex
from sagopalgo.search.adapters.sql.fts import SqliteFtsLotIndex
from sagopalgo.search.domain.query import SearchQuery
from sagopalgo.testing.elastic import fake_opensearch
from tests.conftest import ApiFactory
from tests.integration.helpers import (
    admin_token,
    assert_problem,
    bearer,
    lot_body,
    new_category,
    sign_up_and_in,
    upload_photo,
)
from tests.integration.test_auction_day import Day, kst

SEARCH = "/api/v1/search/lots"
TOMORROW = "2026-11-26"


def tag() -> str:
    return f"k{uuid.uuid4().hex[:10]}"


async def until(
    api: AsyncTestClient[Any], params: dict[str, Any], ok: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Search until the answer satisfies ``ok``: the index follows the catalog asynchronously."""
    for _ in range(200):
        body: dict[str, Any] = (await api.get(SEARCH, params=params)).json()
        if ok(body):
            return body
        await asyncio.sleep(0.025)
    raise AssertionError(f"search never showed the change: {params} -> {body}")


def ids(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


async def test_every_kind_of_change_reaches_search(api_factory: ApiFactory, clock: ManualClock) -> None:
    """Listing, editing, opening, a bid, closing and withdrawing each show in search, by events."""
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 6, 3))
        kept, withdrawn = await day.setup(2)
        word = tag()
        for lot, title in ((kept, "고려청자 상감운학문 매병"), (withdrawn, "조선 백자 달항아리")):
            edited = await api.patch(
                f"/api/v1/lots/{lot}", json={"title": f"{title} {word}"}, headers=bearer(day.seller)
            )
            assert edited.status_code == 200, edited.text

        listed = await until(api, {"q": f"청자 {word}"}, lambda b: ids(b) == [kept])
        hit = listed["items"][0]
        assert (hit["status"], hit["currentPrice"], hit["bidCount"]) == ("SCHEDULED", 10_000, 0)
        assert hit["category"]["id"] == day.category
        assert hit["title"] == f"고려청자 상감운학문 매병 {word}"
        await until(api, {"q": f"달항아리를 {word}"}, lambda b: ids(b) == [withdrawn])

        # an edit: found by its new words only
        await api.patch(
            f"/api/v1/lots/{kept}",
            json={"title": f"청화백자 매죽문 항아리 {word}"},
            headers=bearer(day.seller),
        )
        await until(api, {"q": f"청화 {word}"}, lambda b: ids(b) == [kept])
        assert ids((await api.get(SEARCH, params={"q": f"상감 {word}"})).json()) == []

        # a withdrawal: gone, from the items and from the facets
        assert (await api.delete(f"/api/v1/lots/{withdrawn}", headers=bearer(day.seller))).status_code == 204
        gone = await until(api, {"q": word}, lambda b: ids(b) == [kept])
        assert gone["facets"]["status"] == [{"status": "SCHEDULED", "count": 1}]

        # the day opens: a status change
        clock.set(kst(day.day, 9))
        day.admin = await day.token_of(day.admin_ident)
        assert await day.run("open") >= 1
        await until(api, {"q": word, "status": "OPEN"}, lambda b: ids(b) == [kept])

        # an accepted bid: price and bid count, through the bid log and the catalog
        clock.set(kst(day.day, 10))
        assert (await day.bid(kept, 0, 12_000)).status_code == 201
        bid = await until(api, {"q": word}, lambda b: b["total"] == 1 and b["items"][0]["bidCount"] == 1)
        assert (bid["items"][0]["currentPrice"], bid["items"][0]["minimumNextBid"]) == (12_000, 13_000)

        # the close: sold
        clock.set(kst(day.day, 18, 1))
        day.admin = await day.token_of(day.admin_ident)
        await day.run("close")
        await until(api, {"q": word}, lambda b: b["total"] == 1 and b["items"][0]["status"] == "SOLD")


async def test_filters_sorts_facets_and_paging_over_http(api: AsyncTestClient[Any]) -> None:
    admin = await admin_token(api)
    pottery, furniture = (await new_category(api, admin), await new_category(api, admin))
    _, seller = await sign_up_and_in(api)
    token, word = seller["accessToken"], tag()
    listed = []
    for n, (category, title) in enumerate(
        [
            (pottery, "백자 달항아리"),
            (pottery, "백자 편병"),
            (furniture, "백자 문양 서안"),
            (pottery, "청자 매병"),
        ]
    ):
        key = await upload_photo(api, token)
        body = lot_body(category["id"], [key], TOMORROW, title=f"{title} {word}", startPrice=10_000 * (n + 1))
        created = await api.post("/api/v1/lots", json=body, headers=bearer(token))
        assert created.status_code == 201, created.text
        listed.append(created.json()["id"])
    await until(api, {"q": word}, lambda b: b["total"] == 4)
    newest = (await api.get(SEARCH, params={"q": word, "sort": "newest"})).json()
    assert ids(newest) == listed[::-1]

    white = (await api.get(SEARCH, params={"q": f"백자 {word}", "categoryId": pottery["id"]})).json()
    assert sorted(ids(white)) == listed[:2]
    assert white["total"] == 2
    assert white["facets"]["category"] == [  # every filter but the category's own
        {"id": pottery["id"], "name": pottery["name"], "count": 2},
        {"id": furniture["id"], "name": furniture["name"], "count": 1},
    ]
    assert white["facets"]["status"] == [{"status": "SCHEDULED", "count": 2}]

    cheap_first = await api.get(
        SEARCH,
        params={"q": word, "sort": "priceAsc", "minPrice": 20_000, "maxPrice": 40_000, "size": 1, "page": 2},
    )
    assert cheap_first.json() | {"items": None, "facets": None} == {
        "items": None,
        "facets": None,
        "page": 2,
        "size": 1,
        "total": 3,
    }
    assert ids(cheap_first.json()) == [listed[2]]
    by_day = await api.get(SEARCH, params={"q": word, "auctionDay": "2026-11-27"})
    assert by_day.json()["total"] == 0
    assert (await api.get(SEARCH, params={"q": word, "status": ["SOLD", "OPEN"]})).json()["total"] == 0
    assert (await api.get(SEARCH, params={"q": "?!"})).json()["total"] == 0


async def test_a_hit_has_the_fields_of_a_lot_summary(api: AsyncTestClient[Any]) -> None:
    admin = await admin_token(api)
    category = await new_category(api, admin)
    _, seller = await sign_up_and_in(api)
    word = tag()
    key = await upload_photo(api, seller["accessToken"])
    body = lot_body(category["id"], [key], TOMORROW, title=f"조선 백자 {word}")
    created = (await api.post("/api/v1/lots", json=body, headers=bearer(seller["accessToken"]))).json()
    found = await until(api, {"q": word}, lambda b: b["total"] == 1)
    summary = (await api.get("/api/v1/lots", params={"categoryId": category["id"]})).json()["items"][0]
    assert found["items"][0] == summary
    assert summary["id"] == created["id"]


BAD: list[tuple[dict[str, Any], str]] = [
    ({"size": 101}, "size"),
    ({"page": 0}, "page"),
    ({"sort": "cheapest"}, "sort"),
    ({"status": "SLEEPING"}, "status"),
    ({"categoryId": "art"}, "categoryId"),
    ({"categoryId": 0}, "categoryId"),
    ({"minPrice": -1}, "minPrice"),
    ({"minPrice": "1000won"}, "minPrice"),
    ({"minPrice": 1.5}, "minPrice"),
    ({"maxPrice": 10**13}, "maxPrice"),
    ({"maxPrice": 2**64}, "maxPrice"),
    ({"minPrice": 5_000, "maxPrice": 100}, "maxPrice"),
    ({"auctionDay": "26/11/2026"}, "auctionDay"),
    ({"q": "가" * 101}, "q"),
]


async def test_bad_search_parameters_are_refused(api: AsyncTestClient[Any]) -> None:
    for params, field in BAD:
        problem = assert_problem(await api.get(SEARCH, params=params), 400, "VALIDATION_FAILED")
        assert field in {e["field"] for e in problem["errors"]}, (params, problem)


async def test_reindex_rebuilds_the_index_from_the_database(tmp_path: Path, clock: ManualClock) -> None:
    """Lots written behind the index's back (no events) are found after ``sagopalgo reindex``."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'reindex.db'}"
    env = {"SAGOPALGO_DATABASE_URL": url, "SAGOPALGO_MEDIA_DIR": str(tmp_path / "media")}
    runner = CliRunner()
    assert (await asyncio.to_thread(runner.invoke, cli, ["migrate"], env=env)).exit_code == 0
    settings = load_settings(env)
    engine = create_engine(url)
    try:
        images = build_image_store(settings)
        catalog = build_catalog(session_factory(engine), settings, clock, images=images)  # no listener
        admin = Principal(1, "admin", frozenset({"admin", "user"}))
        category = await catalog.create_category(admin, "도자기")
        seller = Principal(2, "seller", frozenset({"user"}))
        for title in ("고려청자 매병", "조선 백자 달항아리"):
            ticket = await catalog.request_upload(seller, "image/png", 100)
            (Path(settings.media_dir) / ticket.key).parent.mkdir(parents=True, exist_ok=True)
            (Path(settings.media_dir) / ticket.key).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(92))
            await catalog.create_lot(
                seller,
                NewLot(
                    title,
                    "",
                    category.id,
                    10_000,
                    1_000,
                    clock.now().date() + timedelta(days=1),
                    (ticket.key,),
                ),
            )
    finally:
        await engine.dispose()
    engine = create_engine(url)
    try:
        index = SqliteFtsLotIndex(engine)
        assert await index.versions(0, 10) == []  # written behind the index's back
        done = await asyncio.to_thread(runner.invoke, cli, ["reindex"], env=env)
        assert done.exit_code == 0, done.output
        assert "search index rebuilt (sql): 2 lots" in done.output
        query = SearchQuery.of(q="백자", max_krw=settings.max_krw)
        assert [d.title for d in (await index.search(query, PageRequest())).items] == ["조선 백자 달항아리"]
    finally:
        await engine.dispose()


async def test_the_opensearch_setting_builds_the_opensearch_index_with_the_urls_user(tmp_path: Path) -> None:
    """What AWS sets (``SAGOPALGO_SEARCH=opensearch`` and the domain's URL) reaches OpenSearch."""
    async with fake_opensearch() as domain:
        domain.answer(
            "POST",
            "/lots-aws/_search",
            (200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}, "aggregations": {}}),
        )
        settings = load_settings(
            {
                "SAGOPALGO_SEARCH": "opensearch",
                "SAGOPALGO_OPENSEARCH_URL": domain.url.replace("http://", "http://sagopalgo:Pw-1_x@"),
                "SAGOPALGO_ELASTICSEARCH_INDEX": "lots-aws",
                "SAGOPALGO_ELASTICSEARCH_ANALYZER": "nori",
            }
        )
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
        index, client = build_lot_index(settings, engine)
        try:
            assert isinstance(index, OpenSearchLotIndex)
            assert (index.alias, index.analyzer) == ("lots-aws", "nori")
            hits = await index.search(SearchQuery.of(q="청자", max_krw=settings.max_krw), PageRequest())
        finally:
            await client.close()
            await engine.dispose()
    assert hits.total == 0
    (sent,) = domain.sent("POST", "/lots-aws/_search")
    assert sent.headers["Authorization"].startswith("Basic ")
    assert "Pw-1_x" not in repr(client)
