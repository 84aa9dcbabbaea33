"""The SSE service shares the API's edge: problem documents, request ids, health, OpenAPI."""

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sagopalgo.platform.settings import load_settings
from sagopalgo.sse.app import create_app
from tests.integration.helpers import assert_problem


@pytest.fixture
async def sse(deployment: dict[str, Any]) -> Any:
    settings = load_settings({}, **deployment)
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def test_health_schema_and_unknown_routes(
    sse: AsyncTestClient[Any], deployment: dict[str, Any]
) -> None:
    ready = await sse.get("/health/ready")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == ({"redis"} if "redis_url" in deployment else set())
    assert (await sse.get("/schema/openapi.json")).status_code == 200
    assert_problem(await sse.get("/sse/v1/unknown"), 404, "NOT_FOUND")
