"""The lot index on each of its adapters, for the contract suite.

Elasticsearch and OpenSearch join only where ``SAGOPALGO_ELASTICSEARCH_URL`` or
``SAGOPALGO_OPENSEARCH_URL`` names a server (none can run where CI does).
"""

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete

from sagopalgo.platform.sql import create_engine
from sagopalgo.search.adapters.elasticsearch import index as elastic
from sagopalgo.search.adapters.opensearch import index as opensearch
from sagopalgo.search.adapters.sql.fts import SqliteFtsLotIndex
from sagopalgo.search.adapters.sql.ngram import NgramLotIndex
from sagopalgo.search.adapters.sql.tables import documents, terms
from sagopalgo.search.ports import LotIndex

ES_URL = os.environ.get("SAGOPALGO_ELASTICSEARCH_URL", "")
"""Set it (e.g. ``http://127.0.0.1:9200``) and the contract suite runs on Elasticsearch too."""
OPENSEARCH_URL = os.environ.get("SAGOPALGO_OPENSEARCH_URL", "")
"""Likewise for OpenSearch (``https://admin:pw@127.0.0.1:9200`` or a domain's endpoint)."""
ANALYZER = os.environ.get("SAGOPALGO_ELASTICSEARCH_ANALYZER", "ngram")


def _index_params() -> list[Any]:
    params: list[Any] = [
        pytest.param("fts", id="sqlite-fts5"),
        pytest.param("ngram", id="mariadb-ngram", marks=pytest.mark.integration),
    ]
    if ES_URL:  # no server here: the parameter exists only where one is configured (never a skip)
        params.append(pytest.param("elasticsearch", id="elasticsearch"))
    if OPENSEARCH_URL:
        params.append(pytest.param("opensearch", id="opensearch"))
    return params


@pytest.fixture(params=_index_params())
def index_kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The adapter and its server's URL (resolved here: migrating MariaDB needs no running loop)."""
    if request.param == "fts":
        return "fts", str(request.getfixturevalue("sqlite_url"))
    if request.param == "ngram":
        return "ngram", str(request.getfixturevalue("mariadb_url"))
    return request.param, ES_URL if request.param == "elasticsearch" else OPENSEARCH_URL


@pytest.fixture
async def lot_index(index_kind: tuple[str, str]) -> AsyncIterator[LotIndex]:
    kind, url = index_kind
    alias = f"sagopalgo-test-{uuid.uuid4().hex[:10]}"
    if kind == "elasticsearch":
        client = elastic.create_client(url)
        es = elastic.ElasticsearchLotIndex(client, alias=alias, analyzer=ANALYZER)  # type: ignore[arg-type]
        await es.ensure()
        try:
            yield es
        finally:
            await client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)
            await client.close()
        return
    if kind == "opensearch":
        os_client = opensearch.create_client(url)
        os_index = opensearch.OpenSearchLotIndex(os_client, alias=alias, analyzer=ANALYZER)  # type: ignore[arg-type]
        await os_index.ensure()
        try:
            yield os_index
        finally:
            await os_client.indices.delete(index=f"{alias}-*", params={"ignore_unavailable": "true"})
            await os_client.close()
        return
    engine = create_engine(url)
    if kind == "ngram":  # the worker's MariaDB database is shared by its tests: start empty
        async with engine.begin() as conn:
            await conn.execute(delete(terms))
            await conn.execute(delete(documents))
    try:
        yield SqliteFtsLotIndex(engine) if kind == "fts" else NgramLotIndex(engine)
    finally:
        await engine.dispose()
