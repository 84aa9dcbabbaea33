"""Request bodies for Elasticsearch's REST API, and what its answers mean for the port.

Kept free of I/O so the unit tests can hold each body against the documented API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.adapters.elasticsearch.mapping import TEXT_FIELDS, Analyzer
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import Groups, SearchQuery, SearchSort
from sagopalgo.search.domain.text import QueryTerm

__all__ = [
    "MAX_RESULT_WINDOW",
    "bulk_delete",
    "bulk_index",
    "doc_from_source",
    "groups_from",
    "search_body",
    "source_of",
    "swap_actions",
    "versions_body",
]

MAX_RESULT_WINDOW = 10_000
"""Elasticsearch's default ``index.max_result_window``: ``from + size`` beyond it is refused."""

_SORTS: dict[SearchSort, list[Any]] = {
    SearchSort.RELEVANCE: ["_score", {"id": "desc"}],
    SearchSort.CLOSING_SOON: [{"closes_at": "asc"}, {"id": "asc"}],
    SearchSort.PRICE_ASC: [{"price": "asc"}, {"id": "asc"}],
    SearchSort.PRICE_DESC: [{"price": "desc"}, {"id": "desc"}],
    SearchSort.BID_COUNT_DESC: [{"bid_count": "desc"}, {"id": "desc"}],
    SearchSort.NEWEST: [{"created_at": "desc"}, {"id": "desc"}],
}
_TITLE_BOOST = 3
_MAX_CATEGORIES = 10_000


def source_of(doc: LotDoc) -> dict[str, Any]:
    """The stored document: the lot's fields, plus ``price`` (what it stands at) to filter and sort."""
    source: dict[str, Any] = msgspec.to_builtins(doc)
    source["image_keys"] = list(doc.image_keys)  # JSON has no tuples
    source["price"] = doc.price
    return source


def doc_from_source(source: Mapping[str, Any]) -> LotDoc:
    fields = {k: v for k, v in source.items() if k != "price"}
    return msgspec.convert(fields, LotDoc)


def bulk_index(docs: Sequence[LotDoc], index: str) -> list[dict[str, Any]]:
    """``_bulk`` index actions, versioned by the catalog.

    ``external_gte`` stores a document only if its version is at least the stored one's, so a late,
    older copy is refused (409) and a rebuild may rewrite a lot at its current version.
    """
    operations: list[dict[str, Any]] = []
    for doc in docs:
        operations.append(
            {
                "index": {
                    "_index": index,
                    "_id": str(doc.id),
                    "version": doc.version,
                    "version_type": "external_gte",
                }
            }
        )
        operations.append(source_of(doc))
    return operations


def bulk_delete(lot_ids: Sequence[int], index: str) -> list[dict[str, Any]]:
    return [{"delete": {"_index": index, "_id": str(lot_id)}} for lot_id in lot_ids]


def _fields(suffix: str = "") -> list[str]:
    title, description = (f"{name}{suffix}" for name in TEXT_FIELDS)
    return [f"{title}^{_TITLE_BOOST}", description]


def _phrase(term: QueryTerm, fields: list[str]) -> dict[str, Any]:
    kind = "phrase_prefix" if term.prefix else "phrase"
    return {"multi_match": {"query": term.text, "type": kind, "fields": fields}}


def _term_clause(term: QueryTerm, analyzer: Analyzer) -> dict[str, Any]:
    """One query word: a phrase of its bigrams; under nori, the nori fields may match instead."""
    if analyzer == "ngram":
        return _phrase(term, _fields())
    bigrams = _phrase(term, _fields(".bigram"))
    if term.prefix:
        return bigrams
    return {"bool": {"should": [_phrase(term, _fields()), bigrams], "minimum_should_match": 1}}


def search_body(query: SearchQuery, page: PageRequest, analyzer: Analyzer) -> dict[str, Any]:
    """A bool query with filters, a post-filter for the facets' own fields, and their aggregation.

    The text terms must all match; listing, price and day filter (no score). The category and
    status filters go in ``post_filter``, so the aggregation — matches per category and, inside,
    per status — is computed before them, which is what disjunctive facets need.
    """
    filters: list[dict[str, Any]] = [{"term": {"listed": True}}]
    if query.min_price is not None or query.max_price is not None:
        bounds = {"gte": query.min_price, "lte": query.max_price}
        filters.append({"range": {"price": {k: v for k, v in bounds.items() if v is not None}}})
    if query.auction_day is not None:
        filters.append({"term": {"auction_day": query.auction_day.isoformat()}})
    must = [_term_clause(term, analyzer) for term in query.terms]
    facet_filters: list[dict[str, Any]] = []
    if query.category_id is not None:
        facet_filters.append({"term": {"category_id": query.category_id}})
    if query.statuses:
        facet_filters.append({"terms": {"status": sorted(query.statuses)}})
    within = page.offset + page.size <= MAX_RESULT_WINDOW
    body: dict[str, Any] = {
        "query": {"bool": {"must": must, "filter": filters} if must else {"filter": filters}},
        "aggs": {
            "categories": {
                "terms": {"field": "category_id", "size": _MAX_CATEGORIES},
                "aggs": {"statuses": {"terms": {"field": "status", "size": 16}}},
            }
        },
        "sort": _SORTS[query.sort if query.terms else _no_text(query.sort)],
        "from": page.offset if within else 0,
        "size": page.size if within else 0,
        "track_total_hits": True,
    }
    if facet_filters:
        body["post_filter"] = {"bool": {"filter": facet_filters}}
    return body


def _no_text(sort: SearchSort) -> SearchSort:
    return SearchSort.NEWEST if sort is SearchSort.RELEVANCE else sort


def groups_from(response: Mapping[str, Any]) -> Groups:
    groups: dict[tuple[int, str], int] = {}
    for bucket in response.get("aggregations", {}).get("categories", {}).get("buckets", []):
        for inner in bucket["statuses"]["buckets"]:
            groups[(int(bucket["key"]), str(inner["key"]))] = int(inner["doc_count"])
    return groups


def versions_body(after_id: int, limit: int) -> dict[str, Any]:
    """Every document's id and version in id order, a page at a time (``search_after`` on ``id``)."""
    return {
        "query": {"match_all": {}},
        "_source": ["id", "version"],
        "sort": [{"id": "asc"}],
        "search_after": [after_id],
        "size": limit,
        "track_total_hits": False,
    }


def swap_actions(alias: str, new_index: str, old_indices: Sequence[str]) -> list[dict[str, Any]]:
    """One atomic ``_aliases`` call: the alias moves to the new index, the old ones are deleted.

    Searches never find the alias missing or pointing at a half-built index.
    """
    actions: list[dict[str, Any]] = [{"add": {"index": new_index, "alias": alias, "is_write_index": True}}]
    actions.extend({"remove_index": {"index": old}} for old in old_indices if old != new_index)
    return actions
