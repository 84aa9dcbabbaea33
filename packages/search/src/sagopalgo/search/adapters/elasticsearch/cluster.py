"""The lot index on any cluster that speaks Elasticsearch's REST API, whichever client talks to it.

Elasticsearch 9 and Amazon OpenSearch Service (a fork of Elasticsearch 7.10) accept the same
mapping, versioned ``_bulk``, search body with aggregations, and ``_aliases`` swap, so everything
the port promises is done here once, from the bodies in ``mapping`` and ``requests``. What differs
is the official client each needs (Elasticsearch's refuses a server that does not say it is
Elasticsearch; OpenSearch never does), so a subclass supplies only the eight requests below and
turns its client's errors into ``Unavailable``, ``IndexExists`` and ``SearchBackendError``.

Searches and writes go through an alias (``SAGOPALGO_ELASTICSEARCH_INDEX``, default
``sagopalgo-lots``), never an index name: a rebuild fills a new index beside the live one and one
atomic ``_aliases`` call moves the alias and drops the old index, so searches never stop. Every
write is a versioned ``_bulk`` (the catalog's version, ``external_gte``) with ``refresh=wait_for``,
so a write has returned only once searches see it, and an older copy can never replace a newer.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, Literal

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

__all__ = ["UNAVAILABLE", "ClusterLotIndex", "IndexExists", "Refresh", "SearchBackendError"]

Refresh = Literal["wait_for", "false"]
UNAVAILABLE = "Search is unavailable; try again shortly."
_STALE = 409  # version_conflict_engine_exception: the index holds a newer copy


class SearchBackendError(RuntimeError):
    """The cluster refused a request as malformed (a bug or a mapping mismatch, not an outage)."""


class IndexExists(Exception):
    """``PUT /<index>`` found the index there already (another process created it first)."""


def check_bulk(response: dict[str, Any]) -> int:
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


class ClusterLotIndex(ABC):
    def __init__(self, *, alias: str, analyzer: Analyzer) -> None:
        self.alias, self.analyzer = alias, analyzer

    # ------------------------------------------------------------ the client's part
    @abstractmethod
    async def _alias_exists(self, alias: str) -> bool: ...

    @abstractmethod
    async def _create_index(self, name: str, body: dict[str, Any]) -> None:
        """``PUT /<name>`` with ``body`` (settings, mappings, maybe aliases); ``IndexExists`` if there."""

    @abstractmethod
    async def _send_bulk(self, operations: list[dict[str, Any]], refresh: Refresh) -> dict[str, Any]: ...

    @abstractmethod
    async def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    async def _indices_of(self, alias: str) -> list[str]:
        """The indices behind ``alias``, none if it does not exist."""

    @abstractmethod
    async def _update_aliases(self, actions: list[dict[str, Any]]) -> None: ...

    @abstractmethod
    async def _refresh(self, index: str) -> None: ...

    @abstractmethod
    async def _drop_index(self, index: str) -> None:
        """Delete ``index``; one already gone is fine."""

    # ------------------------------------------------------------ the port
    async def ensure(self) -> None:
        """Create the first index behind the alias unless the alias exists.

        Its name is fixed, so processes starting together create it once (the others are told it
        exists).
        """
        if await self._alias_exists(self.alias):
            return
        body = {**index_body(self.analyzer), "aliases": {self.alias: {"is_write_index": True}}}
        with suppress(IndexExists):
            await self._create_index(f"{self.alias}-initial", body)

    async def put(self, docs: Sequence[LotDoc]) -> int:
        return await self._bulk(bulk_index(docs, self.alias), refresh="wait_for")

    async def _bulk(self, operations: list[dict[str, Any]], *, refresh: Refresh) -> int:
        if not operations:
            return 0
        return check_bulk(await self._send_bulk(operations, refresh))

    async def remove(self, lot_ids: Sequence[int]) -> None:
        await self._bulk(bulk_delete(lot_ids, self.alias), refresh="wait_for")

    async def search(self, query: SearchQuery, page: PageRequest) -> SearchHits:
        response = await self._search(self.alias, search_body(query, page, self.analyzer))
        hits = response["hits"]
        return SearchHits(
            items=[doc_from_source(hit["_source"]) for hit in hits["hits"]],
            groups=groups_from(response),
            total=int(hits["total"]["value"]),
        )

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        response = await self._search(self.alias, versions_body(after_id, limit))
        return [(int(h["_source"]["id"]), int(h["_source"]["version"])) for h in response["hits"]["hits"]]

    @asynccontextmanager
    async def rebuild(self) -> AsyncIterator[IndexWriter]:
        """Fill a new index (no refresh per batch: nobody searches it yet), then swap the alias."""
        new_index = f"{self.alias}-{uuid.uuid4().hex[:12]}"
        await self._create_index(new_index, index_body(self.analyzer))
        try:
            yield _NewIndexWriter(self, new_index)
            await self._refresh(new_index)
            old = await self._indices_of(self.alias)
            await self._update_aliases(swap_actions(self.alias, new_index, old))
        except BaseException:
            await self._drop_index(new_index)
            raise


class _NewIndexWriter:
    def __init__(self, index: ClusterLotIndex, name: str) -> None:
        self._index, self._name = index, name

    async def put(self, docs: Sequence[LotDoc]) -> int:
        return await self._index._bulk(bulk_index(docs, self._name), refresh="false")
