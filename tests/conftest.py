"""Fixtures for the composed services: the API app on a chosen deployment, driven over HTTP."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sagopalgo.api.app import create_app
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.settings import Settings, load_settings

JWT_SECRET = "integration-test-secret-0123456789-abcdef"

ApiFactory = Callable[..., AbstractAsyncContextManager[AsyncTestClient[Any]]]


@pytest.fixture(
    params=[
        pytest.param("embedded", id="embedded"),
        pytest.param("mariadb+redis", id="mariadb+redis", marks=pytest.mark.integration),
    ]
)
def deployment(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The two deployments every API test runs on: SQLite + in-process, and MariaDB + Redis."""
    if request.param == "embedded":
        return {"database_url": request.getfixturevalue("sqlite_url")}
    return {
        "database_url": request.getfixturevalue("mariadb_url"),
        "redis_url": request.getfixturevalue("redis_url"),
        "redis_prefix": request.getfixturevalue("redis_prefix"),
    }


@pytest.fixture
def api_factory(deployment: dict[str, Any], clock: ManualClock) -> ApiFactory:
    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[AsyncTestClient[Any]]:
        settings: Settings = load_settings(
            {}, **{"jwt_secret": JWT_SECRET, "auth_rate_limit_per_minute": 10_000, **deployment, **overrides}
        )
        async with AsyncTestClient(app=create_app(settings, clock=clock)) as client:
            yield client

    return make


@pytest.fixture
async def api(api_factory: ApiFactory) -> AsyncIterator[AsyncTestClient[Any]]:
    async with api_factory() as client:
        yield client
