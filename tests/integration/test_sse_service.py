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


async def test_any_page_may_read_a_lot_stream_across_origins(deployment: dict[str, Any]) -> None:
    """The web pages live on the API's origin; lot prices are public and streams take no credentials.

    The origin is the API's public URL (tests/integration/test_edge.py: no other, unless configured)."""
    page = "https://sagopalgo.example"
    settings = load_settings({}, **deployment, public_base_url=page)
    async with AsyncTestClient(app=create_app(settings)) as sse:
        await _cross_origin(sse, page)


async def _cross_origin(sse: AsyncTestClient[Any], page: str) -> None:
    preflight = await sse.options(
        "/sse/v1/lots/1/events",
        headers={
            "Origin": page,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "last-event-id",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == page
    assert "last-event-id" in preflight.headers["access-control-allow-headers"].lower()
    missing = await sse.get("/sse/v1/lots/987654321/events", headers={"Origin": page})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == page
    assert "access-control-allow-credentials" not in missing.headers


@pytest.mark.parametrize(
    "last_event_id",
    ["abc", "-1", "1", "1-2-3", " 1-0", "18446744073709551616-0", "0-18446744073709551616"],
)
async def test_a_malformed_last_event_id_is_refused_before_any_log_reads_it(
    sse: AsyncTestClient[Any], last_event_id: str
) -> None:
    """Found by fuzzing the SSE document: such a header reached the event log and was a 500."""
    response = await sse.get("/sse/v1/lots/1/events", headers={"Last-Event-ID": last_event_id})
    problem = assert_problem(response, 400, "VALIDATION_FAILED")
    assert [e["field"] for e in problem["errors"]] == ["Last-Event-ID"], problem


async def test_a_well_formed_last_event_id_for_an_unknown_lot_is_still_a_404(
    sse: AsyncTestClient[Any],
) -> None:
    top = "18446744073709551615-0"
    response = await sse.get("/sse/v1/lots/999999/events", headers={"Last-Event-ID": top})
    assert_problem(response, 404, "NOT_FOUND")
