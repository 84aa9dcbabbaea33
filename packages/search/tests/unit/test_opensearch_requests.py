"""What the OpenSearch adapter sends, held against the REST API OpenSearch shares with Elasticsearch.

No OpenSearch server runs here: the official ``opensearch-py`` async client talks over real HTTP
to the loopback stand-in (``sagopalgo.testing.elastic``), answering as OpenSearch does — without
``X-Elastic-Product``, which is what the Elasticsearch 9 client refuses. The bodies are the ones
the Elasticsearch adapter sends (one builder for both); these tests check that this client sends
them whole, to the right place, with the right parameters. The contract suite runs this adapter
against a real server whenever ``SAGOPALGO_OPENSEARCH_URL`` is set.
"""

import base64
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from elasticsearch import UnsupportedProductError

from sagopalgo.kernel.errors import Unavailable
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.adapters.elasticsearch import index as elastic
from sagopalgo.search.adapters.elasticsearch.mapping import index_body
from sagopalgo.search.adapters.elasticsearch.requests import search_body, source_of
from sagopalgo.search.adapters.opensearch.index import (
    OpenSearchLotIndex,
    SearchBackendError,
    create_client,
    split_credentials,
)
from sagopalgo.search.domain.query import SearchQuery, SearchSort
from sagopalgo.testing.elastic import FakeElasticsearch, Recorded, fake_opensearch
from sagopalgo.testing.search import doc

ALIAS = "lots-test"
MOON_JAR = doc(2, "조선 백자 달항아리", "18세기", category_id=3, current_price=1_500_000, bid_count=4)
MAX_KRW = 10**12


@pytest.fixture
async def fake() -> AsyncIterator[FakeElasticsearch]:
    async with fake_opensearch() as server:
        yield server


@pytest.fixture
async def index(fake: FakeElasticsearch) -> AsyncIterator[OpenSearchLotIndex]:
    client = create_client(fake.url, timeout=2)
    try:
        yield OpenSearchLotIndex(client, alias=ALIAS, analyzer="ngram")
    finally:
        await client.close()


def bulk_ok(request: Recorded) -> tuple[int, Any]:
    actions = [line for line in request.body if set(line) <= {"index", "delete", "create", "update"}]
    items = [{kind: {"_id": a[kind]["_id"], "status": 201}} for a in actions for kind in a]
    return 200, {"took": 1, "errors": False, "items": items}


def _search_answer(hits: list[Any]) -> tuple[int, Any]:
    buckets = [{"key": 3, "doc_count": 2, "statuses": {"buckets": [{"key": "OPEN", "doc_count": 2}]}}]
    return 200, {
        "took": 3,
        "timed_out": False,
        "hits": {"total": {"value": 7, "relation": "eq"}, "max_score": 1.2, "hits": hits},
        "aggregations": {"categories": {"buckets": buckets}},
    }


# ------------------------------------------------------------------ why a second client
async def test_the_elasticsearch_client_refuses_opensearch_and_this_one_does_not(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([]))
    es = elastic.create_client(fake.url, timeout=2)
    try:
        with pytest.raises(UnsupportedProductError):
            await elastic.ElasticsearchLotIndex(es, alias=ALIAS, analyzer="ngram").search(
                SearchQuery.of(max_krw=MAX_KRW), PageRequest()
            )
    finally:
        await es.close()
    assert (await index.search(SearchQuery.of(max_krw=MAX_KRW), PageRequest())).total == 7


# ------------------------------------------------------------------ credentials
def test_credentials_leave_the_url_unescaped() -> None:
    assert split_credentials("https://sagopalgo:p%40ss-w_rd@search.example:443") == (
        "https://search.example:443",
        ("sagopalgo", "p@ss-w_rd"),
    )
    assert split_credentials("http://127.0.0.1:9200") == ("http://127.0.0.1:9200", None)


async def test_credentials_go_as_basic_auth_and_never_into_repr_or_logs(
    fake: FakeElasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([]))
    url = fake.url.replace("http://", "http://sagopalgo:S3cret-pw_9@")
    client = create_client(url, timeout=2)
    caplog.set_level(logging.DEBUG)
    try:
        await OpenSearchLotIndex(client, alias=ALIAS, analyzer="ngram").search(
            SearchQuery.of(max_krw=MAX_KRW), PageRequest()
        )
        shown = f"{client!r} {client.transport.hosts!r} {client.transport.connection_pool.connections!r}"
    finally:
        await client.close()
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"sagopalgo:S3cret-pw_9").decode()
    assert fake.url.removeprefix("http://") in shown  # it is the client's description...
    assert "S3cret" not in shown  # ...without the password
    assert caplog.records  # the client logs each request
    assert all("S3cret" not in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ ensure, writes
async def test_ensure_creates_the_first_index_with_the_mapping_behind_the_alias_once(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    fake.answer("HEAD", f"/_alias/{ALIAS}", (404, None))
    fake.answer("PUT", f"/{ALIAS}-initial", (200, {"acknowledged": True, "index": f"{ALIAS}-initial"}))
    await index.ensure()
    (created,) = fake.sent("PUT", f"/{ALIAS}-initial")
    assert created.body == {**index_body("ngram"), "aliases": {ALIAS: {"is_write_index": True}}}
    assert created.body["mappings"]["properties"]["title"] == {"type": "text", "analyzer": "ko_bigram"}

    fake.answer(
        "PUT",
        f"/{ALIAS}-initial",
        (400, {"error": {"type": "resource_already_exists_exception", "reason": "exists"}, "status": 400}),
    )
    await index.ensure()  # another process got there first: what was wanted
    fake.answer("HEAD", f"/_alias/{ALIAS}", (200, None))
    await index.ensure()
    assert len(fake.sent("PUT", f"/{ALIAS}-initial")) == 2  # an existing alias creates nothing

    fake.answer("HEAD", f"/_alias/{ALIAS}", (404, None))
    fake.answer(
        "PUT",
        f"/{ALIAS}-initial",
        (
            400,
            {"error": {"type": "illegal_argument_exception", "reason": "unknown tokenizer"}, "status": 400},
        ),
    )
    with pytest.raises(Exception, match="illegal_argument_exception"):
        await index.ensure()  # anything else is not swallowed


async def test_the_nori_mapping_goes_to_opensearch_unchanged(fake: FakeElasticsearch) -> None:
    fake.answer("HEAD", f"/_alias/{ALIAS}", (404, None))
    fake.answer("PUT", f"/{ALIAS}-initial", (200, {"acknowledged": True}))
    client = create_client(fake.url, timeout=2)
    try:
        await OpenSearchLotIndex(client, alias=ALIAS, analyzer="nori").ensure()
    finally:
        await client.close()
    (created,) = fake.sent("PUT", f"/{ALIAS}-initial")
    assert created.body["settings"] == index_body("nori")["settings"]
    tokenizer = created.body["settings"]["analysis"]["tokenizer"]["ko_nori_tokenizer"]
    assert tokenizer == {"type": "nori_tokenizer", "decompound_mode": "mixed"}
    assert created.body["mappings"]["properties"]["title"]["fields"] == {
        "bigram": {"type": "text", "analyzer": "ko_bigram"}
    }


async def test_put_is_one_versioned_bulk_visible_when_it_returns(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    fake.answer("POST", "/_bulk", bulk_ok)
    docs = [MOON_JAR, replace(MOON_JAR, id=5, version=9, title="청자")]
    assert await index.put(docs) == 2
    (bulk,) = fake.sent("POST", "/_bulk")
    assert bulk.path == "/_bulk"
    assert bulk.query == {"refresh": "wait_for"}
    assert bulk.body == [
        {"index": {"_index": ALIAS, "_id": "2", "version": 0, "version_type": "external_gte"}},
        source_of(docs[0]),
        {"index": {"_index": ALIAS, "_id": "5", "version": 9, "version_type": "external_gte"}},
        source_of(docs[1]),
    ]


async def test_a_version_conflict_is_a_stale_copy_and_other_refusals_are_errors(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    conflict = {"index": {"_id": "2", "status": 409, "error": {"type": "version_conflict_engine_exception"}}}
    fake.answer("POST", "/_bulk", (200, {"errors": True, "items": [conflict]}))
    assert await index.put([MOON_JAR]) == 0
    mapping = {"index": {"_id": "2", "status": 400, "error": {"type": "strict_dynamic_mapping_exception"}}}
    fake.answer("POST", "/_bulk", (200, {"errors": True, "items": [mapping]}))
    with pytest.raises(SearchBackendError, match="strict_dynamic_mapping_exception"):
        await index.put([MOON_JAR])


async def test_remove_deletes_by_id_and_a_missing_one_is_fine(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    gone = {"delete": {"_id": "9", "status": 404, "result": "not_found"}}
    fake.answer("POST", "/_bulk", (200, {"errors": True, "items": [gone]}))
    await index.remove([9])
    (bulk,) = fake.sent("POST", "/_bulk")
    assert bulk.body == [{"delete": {"_index": ALIAS, "_id": "9"}}]
    assert bulk.query == {"refresh": "wait_for"}


# ------------------------------------------------------------------ search
async def test_search_sends_the_shared_body_and_reads_hits_total_and_facets(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    hit = {"_index": f"{ALIAS}-initial", "_id": "2", "_score": 1.2, "_source": source_of(MOON_JAR)}
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([hit]))
    query = SearchQuery.of(
        q="달항아리를 책",
        category_id=3,
        statuses=["OPEN"],
        min_price=100,
        auction_day=date(2026, 11, 26),
        max_krw=MAX_KRW,
    )
    hits = await index.search(query, PageRequest(2, 5))
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert sent.body == search_body(query, PageRequest(2, 5), "ngram")
    fields = ["title^3", "description"]
    assert sent.body["query"]["bool"]["must"] == [
        {"multi_match": {"query": "달항아리", "type": "phrase", "fields": fields}},
        {"multi_match": {"query": "책", "type": "phrase_prefix", "fields": fields}},
    ]
    assert sent.body["post_filter"] == {
        "bool": {"filter": [{"term": {"category_id": 3}}, {"terms": {"status": ["OPEN"]}}]}
    }
    assert sent.body["aggs"]["categories"]["terms"] == {"field": "category_id", "size": 10_000}
    assert (sent.body["from"], sent.body["size"], sent.body["track_total_hits"]) == (5, 5, True)
    assert hits.items == [MOON_JAR]
    assert hits.total == 7
    assert hits.groups == {(3, "OPEN"): 2}


async def test_without_text_the_query_only_filters_and_sorts(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([]))
    await index.search(SearchQuery.of(sort=SearchSort.PRICE_ASC, max_krw=MAX_KRW), PageRequest(1, 20))
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert sent.body["query"] == {"bool": {"filter": [{"term": {"listed": True}}]}}
    assert sent.body["sort"] == [{"price": "asc"}, {"id": "asc"}]


async def test_versions_page_with_search_after_on_the_id(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    hits = [{"_id": str(i), "_source": {"id": i, "version": i * 2}, "sort": [i]} for i in (5, 8)]
    fake.answer("POST", f"/{ALIAS}/_search", (200, {"hits": {"total": {"value": 2}, "hits": hits}}))
    assert await index.versions(4, 2) == [(5, 10), (8, 16)]
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert sent.body["search_after"] == [4]
    assert sent.body["sort"] == [{"id": "asc"}]
    assert sent.body["_source"] == ["id", "version"]


# ------------------------------------------------------------------ rebuild
async def test_a_rebuild_fills_a_new_index_then_swaps_the_alias_atomically(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    fake.answer("PUT", "", lambda r: (200, {"acknowledged": True, "index": r.path.strip("/")}))
    fake.answer("POST", "/_bulk", bulk_ok)
    fake.answer("POST", "/_refresh", (200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}))
    fake.answer("GET", f"/_alias/{ALIAS}", (200, {f"{ALIAS}-initial": {"aliases": {ALIAS: {}}}}))
    fake.answer("POST", "/_aliases", (200, {"acknowledged": True}))

    async with index.rebuild() as writer:
        await writer.put([MOON_JAR])
        assert fake.sent("POST", "/_aliases") == []  # nothing swapped while the copy is built

    (created,) = [r for r in fake.requests if r.method == "PUT"]
    new_index = created.path.strip("/")
    assert new_index.startswith(f"{ALIAS}-")
    assert new_index != f"{ALIAS}-initial"
    assert created.body == index_body("ngram")  # no alias yet: searches keep using the old index
    (bulk,) = fake.sent("POST", "/_bulk")
    assert bulk.body[0]["index"]["_index"] == new_index
    assert bulk.query == {"refresh": "false"}
    assert [r.path for r in fake.sent("POST", "/_refresh")] == [f"/{new_index}/_refresh"]
    (swap,) = fake.sent("POST", "/_aliases")
    assert swap.body == {
        "actions": [
            {"add": {"index": new_index, "alias": ALIAS, "is_write_index": True}},
            {"remove_index": {"index": f"{ALIAS}-initial"}},
        ]
    }
    order = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.requests]
    assert (
        order.index(("POST", "_bulk")) < order.index(("POST", "_refresh")) < order.index(("POST", "_aliases"))
    )


async def test_the_first_rebuild_with_no_alias_yet_only_adds_it(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    fake.answer("PUT", "", (200, {"acknowledged": True}))
    fake.answer("POST", "/_refresh", (200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}))
    fake.answer("GET", f"/_alias/{ALIAS}", (404, {"error": f"alias [{ALIAS}] missing", "status": 404}))
    fake.answer("POST", "/_aliases", (200, {"acknowledged": True}))
    async with index.rebuild():
        pass
    (swap,) = fake.sent("POST", "/_aliases")
    assert [list(action) for action in swap.body["actions"]] == [["add"]]


async def test_a_failed_rebuild_drops_its_copy_and_leaves_the_alias(
    fake: FakeElasticsearch, index: OpenSearchLotIndex
) -> None:
    fake.answer("PUT", "", lambda r: (200, {"acknowledged": True, "index": r.path.strip("/")}))
    fake.answer("DELETE", "", (200, {"acknowledged": True}))
    with pytest.raises(RuntimeError, match="catalog went away"):
        async with index.rebuild():
            raise RuntimeError("catalog went away")
    (created,) = [r for r in fake.requests if r.method == "PUT"]
    (dropped,) = [r for r in fake.requests if r.method == "DELETE"]
    assert dropped.path == created.path
    assert dropped.query == {"ignore_unavailable": "true"}
    assert fake.sent("POST", "/_aliases") == []


# ------------------------------------------------------------------ outages
async def test_a_failing_cluster_is_unavailable(fake: FakeElasticsearch, index: OpenSearchLotIndex) -> None:
    fake.answer(
        "POST", f"/{ALIAS}/_search", (429, {"error": {"type": "es_rejected_execution"}, "status": 429})
    )
    with pytest.raises(Unavailable):
        await index.search(SearchQuery.of(max_krw=MAX_KRW), PageRequest())
    fake.answer(
        "POST", f"/{ALIAS}/_search", (503, {"error": {"type": "cluster_block_exception"}, "status": 503})
    )
    with pytest.raises(Unavailable):
        await index.search(SearchQuery.of(max_krw=MAX_KRW), PageRequest())


async def test_an_unreachable_cluster_is_unavailable() -> None:
    async with fake_opensearch() as gone:
        url = gone.url  # a port nobody listens on once the block exits
    client = create_client(url, timeout=1)
    try:
        with pytest.raises(Unavailable):
            await OpenSearchLotIndex(client, alias=ALIAS, analyzer="ngram").put([MOON_JAR])
    finally:
        await client.close()
