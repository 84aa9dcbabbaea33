"""The lot index on Elasticsearch (9.x), through the official async client.

Everything but the client is ``cluster.ClusterLotIndex`` (shared with OpenSearch). This client
refuses any server that does not answer ``X-Elastic-Product: Elasticsearch``, so Amazon OpenSearch
Service needs ``sagopalgo.search.adapters.opensearch`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, NotFoundError, TransportError

from sagopalgo.kernel.errors import Unavailable
from sagopalgo.search.adapters.elasticsearch.cluster import (
    UNAVAILABLE,
    ClusterLotIndex,
    IndexExists,
    Refresh,
    SearchBackendError,
)
from sagopalgo.search.adapters.elasticsearch.mapping import Analyzer

__all__ = ["ElasticsearchLotIndex", "SearchBackendError", "create_client"]

T = TypeVar("T")


def create_client(url: str, *, timeout: float = 5.0) -> AsyncElasticsearch:
    return AsyncElasticsearch(hosts=[url], request_timeout=timeout, max_retries=2, retry_on_timeout=True)


async def _call(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one request; an unreachable or failing cluster is ``Unavailable`` (503, retried later)."""
    try:
        return await make()
    except ApiError as exc:
        if exc.meta.status >= 500 or exc.meta.status == 429:
            raise Unavailable(UNAVAILABLE) from exc
        raise
    except TransportError as exc:  # connection refused, timeouts
        raise Unavailable(UNAVAILABLE) from exc


def _body(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.body
    return body


class ElasticsearchLotIndex(ClusterLotIndex):
    def __init__(self, client: AsyncElasticsearch, *, alias: str, analyzer: Analyzer) -> None:
        super().__init__(alias=alias, analyzer=analyzer)
        self._client = client

    async def _alias_exists(self, alias: str) -> bool:
        return bool(await _call(lambda: self._client.indices.exists_alias(name=alias)))

    async def _create_index(self, name: str, body: dict[str, Any]) -> None:
        try:
            await _call(lambda: self._client.indices.create(index=name, **body))
        except BadRequestError as exc:
            if exc.error == "resource_already_exists_exception":
                raise IndexExists(name) from exc
            raise

    async def _send_bulk(self, operations: list[dict[str, Any]], refresh: Refresh) -> dict[str, Any]:
        return _body(await _call(lambda: self._client.bulk(operations=operations, refresh=refresh)))

    async def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return _body(await _call(lambda: self._client.search(index=index, body=body)))

    async def _indices_of(self, alias: str) -> list[str]:
        try:
            response = await _call(lambda: self._client.indices.get_alias(name=alias))
        except NotFoundError:
            return []
        return sorted(_body(response))

    async def _update_aliases(self, actions: list[dict[str, Any]]) -> None:
        await _call(lambda: self._client.indices.update_aliases(actions=actions))

    async def _refresh(self, index: str) -> None:
        await _call(lambda: self._client.indices.refresh(index=index))

    async def _drop_index(self, index: str) -> None:
        await _call(lambda: self._client.indices.delete(index=index, ignore_unavailable=True))
