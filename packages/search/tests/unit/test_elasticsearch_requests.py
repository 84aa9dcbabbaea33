"""What the Elasticsearch adapter sends, held against Elasticsearch's documented REST API.

No Elasticsearch server runs here: the official async client talks over real HTTP to a loopback
stand-in that records each request and answers in the documented shapes (see
``sagopalgo.testing.elastic``). The same adapter runs the contract suite against a real server
whenever ``SAGOPALGO_ELASTICSEARCH_URL`` is set.
"""

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from sagopalgo.kernel.errors import Unavailable
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.adapters.elasticsearch.index import (
    ElasticsearchLotIndex,
    SearchBackendError,
    create_client,
)
from sagopalgo.search.adapters.elasticsearch.mapping import index_body
from sagopalgo.search.adapters.elasticsearch.requests import source_of
from sagopalgo.search.domain.query import SearchQuery, SearchSort
from sagopalgo.testing.elastic import FakeElasticsearch, Recorded, fake_elasticsearch
from sagopalgo.testing.search import doc

ALIAS = "lots-test"
MOON_JAR = doc(2, "조선 백자 달항아리", "18세기", category_id=3, current_price=1_500_000, bid_count=4)


@pytest.fixture
async def fake() -> AsyncIterator[FakeElasticsearch]:
    async with fake_elasticsearch() as server:
        yield server


@pytest.fixture
async def index(fake: FakeElasticsearch) -> AsyncIterator[ElasticsearchLotIndex]:
    client = create_client(fake.url, timeout=2)
    try:
        yield ElasticsearchLotIndex(client, alias=ALIAS, analyzer="ngram")
    finally:
        await client.close()


def bulk_ok(request: Recorded) -> tuple[int, Any]:
    actions = [line for line in request.body if set(line) <= {"index", "delete", "create", "update"}]
    items = [{kind: {"_id": a[kind]["_id"], "status": 201}} for a in actions for kind in a]
    return 200, {"took": 1, "errors": False, "items": items}


# ------------------------------------------------------------------ mapping
def test_the_ngram_mapping_is_explicit_strict_and_bigrams_korean() -> None:
    body = index_body("ngram")
    analysis = body["settings"]["analysis"]
    assert analysis["analyzer"]["ko_bigram"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["cjk_width", "lowercase", "ko_bigram_filter"],
    }
    assert analysis["filter"]["ko_bigram_filter"] == {"type": "cjk_bigram", "output_unigrams": False}
    mappings = body["mappings"]
    assert mappings["dynamic"] == "strict"
    props = mappings["properties"]
    assert props["title"] == {"type": "text", "analyzer": "ko_bigram"}
    assert props["description"] == {"type": "text", "analyzer": "ko_bigram"}
    assert props["status"] == {"type": "keyword"}
    assert props["price"]["type"] == props["category_id"]["type"] == props["version"]["type"] == "long"
    assert props["auction_day"] == {"type": "date", "format": "strict_date"}
    # every field a document carries is mapped (dynamic: strict would refuse any other)
    assert set(source_of(MOON_JAR)) == set(props)


def test_the_nori_mapping_keeps_a_bigram_sub_field_for_recall() -> None:
    body = index_body("nori")
    analysis = body["settings"]["analysis"]
    assert analysis["tokenizer"]["ko_nori_tokenizer"] == {
        "type": "nori_tokenizer",
        "decompound_mode": "mixed",
    }
    assert analysis["filter"]["ko_pos_filter"] == {"type": "nori_part_of_speech"}
    assert analysis["analyzer"]["ko_nori"]["tokenizer"] == "ko_nori_tokenizer"
    assert body["mappings"]["properties"]["title"] == {
        "type": "text",
        "analyzer": "ko_nori",
        "fields": {"bigram": {"type": "text", "analyzer": "ko_bigram"}},
    }


# ------------------------------------------------------------------ ensure, writes
async def test_ensure_creates_the_first_index_behind_the_alias_once(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    fake.answer("HEAD", f"/_alias/{ALIAS}", (404, None))
    fake.answer("PUT", f"/{ALIAS}-initial", (200, {"acknowledged": True, "index": f"{ALIAS}-initial"}))
    await index.ensure()
    (created,) = fake.sent("PUT", f"/{ALIAS}-initial")
    assert created.body == {**index_body("ngram"), "aliases": {ALIAS: {"is_write_index": True}}}

    # another process got there first: the index exists, which is what was wanted
    fake.answer(
        "PUT",
        f"/{ALIAS}-initial",
        (400, {"error": {"type": "resource_already_exists_exception", "reason": "exists"}, "status": 400}),
    )
    await index.ensure()
    fake.answer("HEAD", f"/_alias/{ALIAS}", (200, None))
    await index.ensure()
    assert len(fake.sent("PUT", f"/{ALIAS}-initial")) == 2  # an existing alias creates nothing


async def test_put_is_one_versioned_bulk_visible_when_it_returns(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    fake.answer("PUT", "/_bulk", bulk_ok)
    docs = [MOON_JAR, replace(MOON_JAR, id=5, version=9, title="청자")]
    assert await index.put(docs) == 2
    (bulk,) = fake.sent("PUT", "/_bulk")
    assert bulk.query == {"refresh": "wait_for"}
    assert bulk.body == [
        {"index": {"_index": ALIAS, "_id": "2", "version": 0, "version_type": "external_gte"}},
        source_of(docs[0]),
        {"index": {"_index": ALIAS, "_id": "5", "version": 9, "version_type": "external_gte"}},
        source_of(docs[1]),
    ]
    assert bulk.body[1]["price"] == 1_500_000  # what filters and price sorts use
    assert bulk.body[1]["auction_day"] == "2026-11-26"


async def test_a_version_conflict_is_a_stale_copy_and_other_refusals_are_errors(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    conflict = {"index": {"_id": "2", "status": 409, "error": {"type": "version_conflict_engine_exception"}}}
    fake.answer("PUT", "/_bulk", (200, {"errors": True, "items": [conflict]}))
    assert await index.put([MOON_JAR]) == 0
    mapping = {"index": {"_id": "2", "status": 400, "error": {"type": "strict_dynamic_mapping_exception"}}}
    fake.answer("PUT", "/_bulk", (200, {"errors": True, "items": [mapping]}))
    with pytest.raises(SearchBackendError, match="strict_dynamic_mapping_exception"):
        await index.put([MOON_JAR])


async def test_remove_deletes_by_id_and_a_missing_one_is_fine(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    gone = {"delete": {"_id": "9", "status": 404, "result": "not_found"}}
    fake.answer("PUT", "/_bulk", (200, {"errors": True, "items": [gone]}))
    await index.remove([9])
    (bulk,) = fake.sent("PUT", "/_bulk")
    assert bulk.body == [{"delete": {"_index": ALIAS, "_id": "9"}}]


# ------------------------------------------------------------------ search
def _search_answer(hits: list[Any]) -> tuple[int, Any]:
    return 200, {
        "took": 3,
        "timed_out": False,
        "hits": {"total": {"value": 7, "relation": "eq"}, "max_score": 1.2, "hits": hits},
        "aggregations": {
            "categories": {
                "buckets": [
                    {
                        "key": 3,
                        "doc_count": 6,
                        "statuses": {
                            "buckets": [{"key": "OPEN", "doc_count": 4}, {"key": "SOLD", "doc_count": 2}]
                        },
                    },
                    {"key": 1, "doc_count": 1, "statuses": {"buckets": [{"key": "OPEN", "doc_count": 1}]}},
                ]
            }
        },
    }


async def test_search_is_a_bool_query_with_a_facet_post_filter_and_aggregation(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    hit = {"_index": f"{ALIAS}-initial", "_id": "2", "_score": 1.2, "_source": source_of(MOON_JAR)}
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([hit]))
    query = SearchQuery.of(
        q="달항아리를 책 vase",
        category_id=3,
        statuses=["OPEN", "SOLD"],
        min_price=100,
        max_price=2_000_000,
        auction_day=date(2026, 11, 26),
        max_krw=10**12,
    )
    hits = await index.search(query, PageRequest(2, 5))
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    fields = ["title^3", "description"]
    assert sent.body == {
        "query": {
            "bool": {
                "must": [
                    {"multi_match": {"query": "달항아리", "type": "phrase", "fields": fields}},
                    {"multi_match": {"query": "책", "type": "phrase_prefix", "fields": fields}},
                    {"multi_match": {"query": "vase", "type": "phrase", "fields": fields}},
                ],
                "filter": [
                    {"term": {"listed": True}},
                    {"range": {"price": {"gte": 100, "lte": 2_000_000}}},
                    {"term": {"auction_day": "2026-11-26"}},
                ],
            }
        },
        "post_filter": {
            "bool": {"filter": [{"term": {"category_id": 3}}, {"terms": {"status": ["OPEN", "SOLD"]}}]}
        },
        "aggs": {
            "categories": {
                "terms": {"field": "category_id", "size": 10_000},
                "aggs": {"statuses": {"terms": {"field": "status", "size": 16}}},
            }
        },
        "sort": ["_score", {"id": "desc"}],
        "from": 5,
        "size": 5,
        "track_total_hits": True,
    }
    assert hits.items == [MOON_JAR]
    assert hits.total == 7
    assert hits.groups == {(3, "OPEN"): 4, (3, "SOLD"): 2, (1, "OPEN"): 1}


async def test_without_text_the_query_only_filters_and_sorts_by_the_chosen_key(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([]))
    await index.search(SearchQuery.of(sort=SearchSort.PRICE_ASC, max_krw=10**12), PageRequest(1, 20))
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert sent.body["query"] == {"bool": {"filter": [{"term": {"listed": True}}]}}
    assert sent.body["sort"] == [{"price": "asc"}, {"id": "asc"}]
    assert "post_filter" not in sent.body


async def test_under_nori_a_word_matches_by_nori_or_by_bigrams(fake: FakeElasticsearch) -> None:
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([]))
    client = create_client(fake.url, timeout=2)
    try:
        nori = ElasticsearchLotIndex(client, alias=ALIAS, analyzer="nori")
        await nori.search(SearchQuery.of(q="청자", max_krw=10**12), PageRequest())
    finally:
        await client.close()
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert sent.body["query"]["bool"]["must"] == [
        {
            "bool": {
                "should": [
                    {
                        "multi_match": {
                            "query": "청자",
                            "type": "phrase",
                            "fields": ["title^3", "description"],
                        }
                    },
                    {
                        "multi_match": {
                            "query": "청자",
                            "type": "phrase",
                            "fields": ["title.bigram^3", "description.bigram"],
                        }
                    },
                ],
                "minimum_should_match": 1,
            }
        }
    ]


async def test_pages_past_the_result_window_ask_only_for_counts(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    fake.answer("POST", f"/{ALIAS}/_search", _search_answer([]))
    await index.search(SearchQuery.of(max_krw=10**12), PageRequest(200, 100))
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert (sent.body["from"], sent.body["size"]) == (0, 0)


async def test_versions_page_with_search_after_on_the_id(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    hits = [{"_id": str(i), "_source": {"id": i, "version": i * 2}, "sort": [i]} for i in (5, 8)]
    fake.answer("POST", f"/{ALIAS}/_search", (200, {"hits": {"total": {"value": 2}, "hits": hits}}))
    assert await index.versions(4, 2) == [(5, 10), (8, 16)]
    (sent,) = fake.sent("POST", f"/{ALIAS}/_search")
    assert sent.body == {
        "query": {"match_all": {}},
        "_source": ["id", "version"],
        "sort": [{"id": "asc"}],
        "search_after": [4],
        "size": 2,
        "track_total_hits": False,
    }


# ------------------------------------------------------------------ rebuild
async def test_a_rebuild_fills_a_new_index_then_swaps_the_alias_atomically(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    fake.answer("PUT", "", lambda r: (200, {"acknowledged": True, "index": r.path.strip("/")}))
    fake.answer("PUT", "/_bulk", bulk_ok)
    fake.answer("POST", "/_refresh", (200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}))
    fake.answer("GET", f"/_alias/{ALIAS}", (200, {f"{ALIAS}-initial": {"aliases": {ALIAS: {}}}}))
    fake.answer("POST", "/_aliases", (200, {"acknowledged": True}))

    async with index.rebuild() as writer:
        await writer.put([MOON_JAR])
        assert fake.sent("POST", "/_aliases") == []  # nothing swapped while the copy is built

    (created,) = [r for r in fake.requests if r.method == "PUT" and r.path != "/_bulk"]
    new_index = created.path.strip("/")
    assert new_index.startswith(f"{ALIAS}-")
    assert new_index != f"{ALIAS}-initial"
    assert created.body == index_body("ngram")  # no alias yet: searches keep using the old index
    (bulk,) = fake.sent("PUT", "/_bulk")
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
    assert order.index(("PUT", "_bulk")) < order.index(("POST", "_refresh"))
    assert order.index(("POST", "_refresh")) < order.index(("POST", "_aliases"))


async def test_a_failed_rebuild_drops_its_copy_and_leaves_the_alias(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    fake.answer("PUT", "", lambda r: (200, {"acknowledged": True, "index": r.path.strip("/")}))
    fake.answer("DELETE", "", (200, {"acknowledged": True}))
    with pytest.raises(RuntimeError, match="catalog went away"):
        async with index.rebuild():
            raise RuntimeError("catalog went away")
    (created,) = [r for r in fake.requests if r.method == "PUT" and r.path != "/_bulk"]
    (dropped,) = [r for r in fake.requests if r.method == "DELETE"]
    assert dropped.path == created.path
    assert fake.sent("POST", "/_aliases") == []


# ------------------------------------------------------------------ outages
async def test_a_failing_cluster_is_unavailable(
    fake: FakeElasticsearch, index: ElasticsearchLotIndex
) -> None:
    fake.answer(
        "POST", f"/{ALIAS}/_search", (503, {"error": {"type": "cluster_block_exception"}, "status": 503})
    )
    with pytest.raises(Unavailable):
        await index.search(SearchQuery.of(max_krw=10**12), PageRequest())


async def test_an_unreachable_cluster_is_unavailable() -> None:
    async with fake_elasticsearch() as gone:
        url = gone.url  # a port nobody listens on once the block exits
    client = create_client(url, timeout=1)
    try:
        with pytest.raises(Unavailable):
            await ElasticsearchLotIndex(client, alias=ALIAS, analyzer="ngram").put([MOON_JAR])
    finally:
        await client.close()
