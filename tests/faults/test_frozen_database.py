"""A frozen MariaDB (SIGSTOP: connections accepted, nothing answered) makes requests fail, not hang.

Its kernel still completes TCP connects, so only a read timeout ends the wait for an answer. What
is asserted is the answer, a 503 ``UNAVAILABLE`` problem with ``Retry-After``, and that the
services answer normally again once the database is thawed, without a restart. A guard thaws the
server after a minute whatever happens, so a request that hangs (the regression) ends with a 200
that fails the test instead of hanging the suite (cancelling a request stuck in the driver does
not end it).
"""

import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sagopalgo.api.app import create_app as create_api
from sagopalgo.api.db import upgrade
from sagopalgo.platform.settings import Settings, load_settings
from sagopalgo.sse.app import create_app as create_sse
from sagopalgo.testing.market import Market, seed_market
from sagopalgo.testing.procs import PrivateMariaDB

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]

SECRET = "frozen-database-secret-" + "z" * 32
GUARD_S = 60.0


@pytest.fixture
def database(private_mariadb: PrivateMariaDB) -> str:
    url = private_mariadb.create_database("frozen")
    upgrade(url)
    return url


@pytest.fixture
def settings(database: str) -> Settings:
    return load_settings(
        {},
        database_url=database,
        jwt_secret=SECRET,
        schedule="off",
        payment_reconcile_seconds=0,
        lot_cache_ttl_seconds=0,  # every read goes to the database
        database_timeout_seconds=1,
        database_read_timeout_seconds=1,
    )


@pytest.fixture
async def market(database: str) -> Market:
    return await seed_market(database, SECRET, bidders=1)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_api(settings)) as client:
        yield client


@pytest.fixture
async def sse(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_sse(settings)) as client:
        yield client


def _unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "UNAVAILABLE"
    assert response.headers["retry-after"]


async def test_requests_on_a_frozen_database_answer_503_and_recover_after_it_thaws(
    private_mariadb: PrivateMariaDB, market: Market, api: AsyncTestClient[Any], sse: AsyncTestClient[Any]
) -> None:
    lot = f"/api/v1/lots/{market.lot_id}"
    events = f"/sse/v1/lots/{market.lot_id}/events"
    assert (await api.get(lot)).status_code == 200  # the pool holds a live connection now
    private_mariadb.freeze()
    guard = threading.Timer(GUARD_S, private_mariadb.thaw)
    guard.start()
    try:
        _unavailable(await api.get(lot))  # on the pooled connection
        _unavailable(await api.get(lot))  # on a new one: its greeting never comes
        _unavailable(await sse.get(events))  # the stream's snapshot
        assert (await api.get("/health/ready")).status_code == 503
    finally:
        guard.cancel()
        private_mariadb.thaw()
    assert (await api.get(lot)).status_code == 200
    assert (await api.get("/health/ready")).status_code == 200
