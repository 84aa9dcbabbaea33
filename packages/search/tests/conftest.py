"""The lot index on each of its adapters, for the contract suite."""

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete

from sagopalgo.platform.sql import create_engine
from sagopalgo.search.adapters.elasticsearch.index import ElasticsearchLotIndex, create_client
from sagopalgo.search.adapters.sql.fts import SqliteFtsLotIndex
from sagopalgo.search.adapters.sql.ngram import NgramLotIndex
from sagopalgo.search.adapters.sql.tables import documents, terms
from sagopalgo.search.ports import LotIndex

ES_URL = os.environ.get("SAGOPALGO_ELASTICSEARCH_URL", "")
"""Set it (e.g. ``http://127.0.0.1:9200``) and the contract suite runs on Elasticsearch too."""


def _index_params() -> list[Any]:
    params: list[Any] = [
        pytest.param("fts", id="sqlite-fts5"),
        pytest.param("ngram", id="mariadb-ngram", marks=pytest.mark.integration),
    ]
    if ES_URL:  # no server here: the parameter exists only where one is configured (never a skip)
        params.append(pytest.param("elasticsearch", id="elasticsearch"))
    return params


@pytest.fixture(params=_index_params())
def index_kind(request: pytest.FixtureRequest) -> tuple[str, str]:
    """The adapter and its server's URL (resolved here: migrating MariaDB needs no running loop)."""
    if request.param == "fts":
        return "fts", str(request.getfixturevalue("sqlite_url"))
    if request.param == "ngram":
        return "ngram", str(request.getfixturevalue("mariadb_url"))
    return "elasticsearch", ES_URL


@pytest.fixture
async def lot_index(index_kind: tuple[str, str]) -> AsyncIterator[LotIndex]:
    kind, url = index_kind
    if kind == "elasticsearch":
        client = create_client(url)
        alias = f"sagopalgo-test-{uuid.uuid4().hex[:10]}"
        es = ElasticsearchLotIndex(
            client,
            alias=alias,
            analyzer=os.environ.get("SAGOPALGO_ELASTICSEARCH_ANALYZER", "ngram"),  # type: ignore[arg-type]
        )
        await es.ensure()
        try:
            yield es
        finally:
            await client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)
            await client.close()
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
