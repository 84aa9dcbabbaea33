"""The lot index on Elasticsearch (9.x), through the official async client.

Searches and writes go through an alias (``SAGOPALGO_ELASTICSEARCH_INDEX``, default
``sagopalgo-lots``), never an index name: a rebuild fills a new index beside the live one and one
atomic ``_aliases`` call moves the alias and drops the old index, so searches never stop. Every
write is a versioned ``_bulk`` (the catalog's version, ``external_gte``) with ``refresh=wait_for``,
so a write has returned only once searches see it, and an older copy can never replace a newer.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, NotFoundError, TransportError

from sagopalgo.kernel.errors import Unavailable
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.adapters.elasticsearch.mapping import Analyzer, index_body
from sagopalgo.search.adapters.elasticsearch.requests import (
    bulk_delete,
    bulk_index,
    doc_from_source,
    groups_from,
    search_body,
    swap_actions,
    versions_body,
)
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import SearchHits, SearchQuery
from sagopalgo.search.ports import IndexWriter

__all__ = ["ElasticsearchLotIndex", "SearchBackendError", "create_client"]

T = TypeVar("T")
_STALE = 409  # version_conflict_engine_exception: the index holds a newer copy


class SearchBackendError(RuntimeError):
    """Elasticsearch refused a request as malformed (a bug or a mapping mismatch, not an outage)."""


def create_client(url: str, *, timeout: float = 5.0) -> AsyncElasticsearch:
    return AsyncElasticsearch(hosts=[url], request_timeout=timeout, max_retries=2, retry_on_timeout=True)


async def _call(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one request; an unreachable or failing cluster is ``Unavailable`` (503, retried later)."""
    try:
        return await make()
    except ApiError as exc:
        if exc.meta.status >= 500 or exc.meta.status == 429:
            raise Unavailable("Search is unavailable; try again shortly.") from exc
        raise
    except TransportError as exc:  # connection refused, timeouts
        raise Unavailable("Search is unavailable; try again shortly.") from exc


def _body(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.body
    return body


def _check_bulk(response: dict[str, Any]) -> int:
    """How many actions took effect; a stale copy (409) is not an error, anything else is."""
    if not response.get("errors"):
        return len(response.get("items", []))
    done = 0
    for item in response["items"]:
        (action,) = item.values()
        status = int(action.get("status", 500))
        if status < 300 or (status == 404 and "delete" in item):
            done += 1
        elif status != _STALE:
            raise SearchBackendError(f"bulk action refused: {action.get('error')}")
    return done


class ElasticsearchLotIndex:
    def __init__(self, client: AsyncElasticsearch, *, alias: str, analyzer: Analyzer) -> None:
        self._client, self.alias, self.analyzer = client, alias, analyzer

    async def ensure(self) -> None:
        """Create the first index behind the alias unless the alias exists.

        Its name is fixed, so processes starting together create it once (the others are told it
        exists).
        """
        exists = await _call(lambda: self._client.indices.exists_alias(name=self.alias))
        if exists:
            return
        body = index_body(self.analyzer)
        try:
            await _call(
                lambda: self._client.indices.create(
                    index=f"{self.alias}-initial",
                    settings=body["settings"],
                    mappings=body["mappings"],
                    aliases={self.alias: {"is_write_index": True}},
                )
            )
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    async def put(self, docs: Sequence[LotDoc]) -> int:
        return await self._bulk(bulk_index(docs, self.alias), refresh="wait_for")

    async def _bulk(self, operations: list[dict[str, Any]], *, refresh: Any) -> int:
        if not operations:
            return 0
        response = await _call(lambda: self._client.bulk(operations=operations, refresh=refresh))
        return _check_bulk(_body(response))

    async def remove(self, lot_ids: Sequence[int]) -> None:
        await self._bulk(bulk_delete(lot_ids, self.alias), refresh="wait_for")

    async def search(self, query: SearchQuery, page: PageRequest) -> SearchHits:
        body = search_body(query, page, self.analyzer)
        response = _body(await _call(lambda: self._client.search(index=self.alias, body=body)))
        hits = response["hits"]
        return SearchHits(
            items=[doc_from_source(hit["_source"]) for hit in hits["hits"]],
            groups=groups_from(response),
            total=int(hits["total"]["value"]),
        )

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        body = versions_body(after_id, limit)
        response = _body(await _call(lambda: self._client.search(index=self.alias, body=body)))
        return [(int(h["_source"]["id"]), int(h["_source"]["version"])) for h in response["hits"]["hits"]]

    async def _aliased(self) -> list[str]:
        try:
            response = await _call(lambda: self._client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []
        return sorted(_body(response))

    @asynccontextmanager
    async def rebuild(self) -> AsyncIterator[IndexWriter]:
        """Fill a new index (no refresh per batch: nobody searches it yet), then swap the alias."""
        new_index = f"{self.alias}-{uuid.uuid4().hex[:12]}"
        body = index_body(self.analyzer)
        await _call(
            lambda: self._client.indices.create(
                index=new_index, settings=body["settings"], mappings=body["mappings"]
            )
        )
        try:
            yield _NewIndexWriter(self, new_index)
            await _call(lambda: self._client.indices.refresh(index=new_index))
            old = await self._aliased()
            actions = swap_actions(self.alias, new_index, old)
            await _call(lambda: self._client.indices.update_aliases(actions=actions))
        except BaseException:
            await _call(lambda: self._client.indices.delete(index=new_index, ignore_unavailable=True))
            raise


class _NewIndexWriter:
    def __init__(self, index: ElasticsearchLotIndex, name: str) -> None:
        self._index, self._name = index, name

    async def put(self, docs: Sequence[LotDoc]) -> int:
        return await self._index._bulk(bulk_index(docs, self._name), refresh=False)
