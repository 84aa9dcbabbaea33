"""The lot index on OpenSearch (2.x, as Amazon OpenSearch Service runs it), through ``opensearch-py``.

The Elasticsearch 9 client cannot talk to OpenSearch at all (it refuses any server that does not
answer ``X-Elastic-Product: Elasticsearch``), but OpenSearch still speaks the Elasticsearch REST
API this index uses, so the mapping, the versioned bulk, the search body, the facets'
aggregation and the alias swap are the shared ones (``elasticsearch.cluster``); only the client
and its errors are OpenSearch's. The ``nori`` analyzer needs the ``analysis-nori`` plugin, which
Amazon OpenSearch Service ships.

A domain with fine-grained access control authenticates with its master user: the URL may carry
it (``https://user:password@host:443``). ``create_client`` takes the credentials out of the URL
and hands them to the client as basic auth, because the client would otherwise keep them in its
host list, which its ``repr`` (and so any log line or traceback showing it) prints.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError, NotFoundError, RequestError, TransportError

from sagopalgo.kernel.errors import Unavailable
from sagopalgo.search.adapters.elasticsearch.cluster import (
    UNAVAILABLE,
    ClusterLotIndex,
    IndexExists,
    Refresh,
    SearchBackendError,
)
from sagopalgo.search.adapters.elasticsearch.mapping import Analyzer

__all__ = ["OpenSearchLotIndex", "SearchBackendError", "create_client", "split_credentials"]

T = TypeVar("T")


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``https://user:pw@host:443`` → ``("https://host:443", ("user", "pw"))``; percent-escapes undone."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.netloc.rpartition("@")[2]
    auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=host)), auth


def create_client(url: str, *, timeout: float = 5.0) -> AsyncOpenSearch:
    host, auth = split_credentials(url)
    return AsyncOpenSearch(
        hosts=[host], http_auth=auth, timeout=timeout, max_retries=2, retry_on_timeout=True
    )


async def _call(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run one request; an unreachable or failing cluster is ``Unavailable`` (503, retried later)."""
    try:
        return await make()
    except ConnectionError as exc:  # refused, timed out, TLS failure: status_code is "N/A"
        raise Unavailable(UNAVAILABLE) from exc
    except TransportError as exc:
        status = exc.status_code
        if not isinstance(status, int) or status >= 500 or status == 429:
            raise Unavailable(UNAVAILABLE) from exc
        raise


class OpenSearchLotIndex(ClusterLotIndex):
    def __init__(self, client: AsyncOpenSearch, *, alias: str, analyzer: Analyzer) -> None:
        super().__init__(alias=alias, analyzer=analyzer)
        self._client = client

    async def _alias_exists(self, alias: str) -> bool:
        return bool(await _call(lambda: self._client.indices.exists_alias(name=alias)))

    async def _create_index(self, name: str, body: dict[str, Any]) -> None:
        try:
            await _call(lambda: self._client.indices.create(index=name, body=body))
        except RequestError as exc:
            if exc.error == "resource_already_exists_exception":
                raise IndexExists(name) from exc
            raise

    async def _send_bulk(self, operations: list[dict[str, Any]], refresh: Refresh) -> dict[str, Any]:
        response: dict[str, Any] = await _call(
            lambda: self._client.bulk(body=operations, params={"refresh": refresh})
        )
        return response

    async def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = await _call(lambda: self._client.search(index=index, body=body))
        return response

    async def _indices_of(self, alias: str) -> list[str]:
        try:
            response = await _call(lambda: self._client.indices.get_alias(name=alias))
        except NotFoundError:
            return []
        return sorted(response)

    async def _update_aliases(self, actions: list[dict[str, Any]]) -> None:
        await _call(lambda: self._client.indices.update_aliases(body={"actions": actions}))

    async def _refresh(self, index: str) -> None:
        await _call(lambda: self._client.indices.refresh(index=index))

    async def _drop_index(self, index: str) -> None:
        await _call(lambda: self._client.indices.delete(index=index, params={"ignore_unavailable": "true"}))
