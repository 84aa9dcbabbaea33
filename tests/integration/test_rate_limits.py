"""Rate limits on bidding (per user) and on event streams (per client address), on both deployments.

Each refusal is a 429 ``RATE_LIMITED`` problem with ``Retry-After`` that changes nothing: no bid,
no new maximum, no event on the lot's stream. Windows are the clock port's minutes. That the Redis
limiter holds across API processes is ``tests/e2e/test_rate_limit_processes.py``.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx_sse import aconnect_sse
from litestar.testing import AsyncTestClient

from sagopalgo.api.composition import build_catalog, build_image_store
from sagopalgo.kernel.clock import SEOUL, ManualClock
from sagopalgo.platform.redis import create_redis
from sagopalgo.platform.sql import create_engine, session_factory
from sagopalgo.realtime.adapters.redis import RedisLotEventLog
from sagopalgo.sse.app import create_app as create_sse_app
from tests.conftest import ApiFactory, api_settings
from tests.integration.helpers import (
    PASSWORD,
    admin_token,
    assert_problem,
    bearer,
    lot_body,
    new_category,
    sign_up_and_in,
    upload_photo,
)
from tests.integration.test_live_status import GUARD_S, Site, list_lot, seller_of, served
from tests.integration.web_helpers import Web

DAY = date(2026, 11, 26)
OPEN_AT = datetime(2026, 11, 26, 10, 0, tzinfo=SEOUL).astimezone(UTC)


@pytest.fixture
async def market(api_factory: ApiFactory, clock: ManualClock) -> AsyncIterator[dict[str, Any]]:
    """An open lot, its seller and two bidders, on an API allowing three bids per user per minute."""
    async with api_factory(bid_rate_limit_per_minute=3) as api:
        category = await new_category(api, await admin_token(api))
        _, seller = await sign_up_and_in(api)
        key = await upload_photo(api, seller["accessToken"])
        body = lot_body(category["id"], [key], DAY.isoformat(), startPrice=10_000, bidIncrement=1_000)
        lot = (await api.post("/api/v1/lots", json=body, headers=bearer(seller["accessToken"]))).json()
        bidders = [(await sign_up_and_in(api))[0] for _ in range(2)]
        settings = api.app.state.settings
        engine = create_engine(settings.database_url)
        catalog = build_catalog(session_factory(engine), settings, clock, images=build_image_store(settings))
        clock.set(OPEN_AT - timedelta(hours=1))
        await catalog.open_lot(lot["id"])
        await engine.dispose()
        clock.set(OPEN_AT)
        tokens = []
        for ident in bidders:
            pair = await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
            tokens.append(pair.json()["accessToken"])
        yield {"api": api, "lot": lot["id"], "bidders": tokens, "clock": clock}


async def _bid(api: AsyncTestClient[Any], lot: int, token: str, body: dict[str, int], key: str = "") -> Any:
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return await api.post(f"/api/v1/lots/{lot}/bids", json=body, headers=headers)


async def _state(api: AsyncTestClient[Any], lot: int) -> tuple[Any, ...]:
    """The live price and count, and the lot's event log (the app's own log runs on the app's loop)."""
    detail = (await api.get(f"/api/v1/lots/{lot}")).json()
    settings = api.app.state.settings
    if settings.redis_url:
        client = create_redis(settings.redis_url)
        events = await RedisLotEventLog(client, prefix=settings.redis_prefix).since(lot, None, 1_000)
        await client.aclose()
    else:
        events = await api.app.state.events.since(lot, None, 1_000)
    return detail["currentPrice"], detail["bidCount"], [e.id for e in events]


async def test_bids_and_maximum_bids_are_limited_per_user(market: dict[str, Any]) -> None:
    api, lot, (a, b), clock = market["api"], market["lot"], market["bidders"], market["clock"]
    assert (await _bid(api, lot, a, {"amount": 10_000})).status_code == 201
    raised = await _bid(api, lot, a, {"amount": 11_000, "maxAmount": 30_000})  # the leader's maximum
    assert (raised.status_code, raised.json()["id"]) == (201, None), raised.text
    assert_problem(await _bid(api, lot, a, {"amount": 11_000}), 409, "ALREADY_LEADING")  # counts too

    before = await _state(api, lot)
    assert len(before[2]) == 1, before  # the bid is on the stream (a raised maximum moves no price)
    for body in ({"amount": 12_000, "maxAmount": 90_000}, {"amount": 50_000}):
        refused = await _bid(api, lot, a, body, key="after-the-limit")
        limited = assert_problem(refused, 429, "RATE_LIMITED")
        assert refused.headers["retry-after"] == "60"  # the clock stands at the start of its minute
        assert limited["detail"]
    assert await _state(api, lot) == before, "a refused bid reaches neither the gate nor the stream"

    # Another user is not limited by it, and outbids a's maximum where it was: 30,000, not 90,000.
    over = await _bid(api, lot, b, {"amount": 40_000})
    assert (over.status_code, over.json()["leading"], over.json()["currentPrice"]) == (201, True, 40_000)

    clock.advance(timedelta(seconds=59))
    assert_problem(await _bid(api, lot, a, {"amount": 50_000}), 429, "RATE_LIMITED")
    clock.advance(timedelta(seconds=1))  # a new minute: a's budget is back
    again = await _bid(api, lot, a, {"amount": 50_000}, key="after-the-limit")  # a refusal is not kept
    assert (again.status_code, again.json()["currentPrice"]) == (201, 50_000), again.text


async def test_the_limit_can_be_turned_off(api_factory: ApiFactory, clock: ManualClock) -> None:
    async with api_factory(bid_rate_limit_per_minute=0) as api:
        _, user = await sign_up_and_in(api)
        answers = [
            (await _bid(api, 987_654, user["accessToken"], {"amount": 1_000})).status_code for _ in range(5)
        ]
        assert answers == [404] * 5


@asynccontextmanager
async def _streams(
    site: Site, lot: int, count: int, **headers: str
) -> AsyncIterator[list[asyncio.Task[None]]]:
    """``count`` streams of ``lot`` held open (each has its snapshot) until the block ends."""
    opened = [asyncio.Event() for _ in range(count)]

    async def hold(ready: asyncio.Event) -> None:
        async with aconnect_sse(site.sse, "GET", f"/sse/v1/lots/{lot}/events", headers=headers) as source:
            assert source.response.status_code == 200
            async for event in source.aiter_sse():
                if event.event == "snapshot":
                    ready.set()

    tasks = [asyncio.create_task(hold(ready)) for ready in opened]
    try:
        async with asyncio.timeout(GUARD_S):
            for ready in opened:
                await ready.wait()
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _open_streams(site: Site, expected: int) -> None:
    async with asyncio.timeout(GUARD_S):
        while (await site.sse.get("/health/streams")).json()["connections"] != expected:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def _refused(response: Any, retry_after: str) -> None:
    assert_problem(response, 429, "RATE_LIMITED")
    assert response.headers["retry-after"] == retry_after
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_new_streams_are_limited_per_client_address(
    deployment: dict[str, Any], clock: ManualClock
) -> None:
    async with served(deployment, clock, sse_rate_limit_per_minute=3) as site:
        lot = await list_lot(site, await seller_of(site))
        clock.set(clock.now().replace(second=15, microsecond=0))
        async with _streams(site, lot, 2):
            pass
        assert_problem(await site.sse.get("/sse/v1/lots/987654321/events"), 404, "NOT_FOUND")  # counts
        _refused(await site.sse.get(f"/sse/v1/lots/{lot}/events"), "45")  # the minute's end, by the clock
        # Another address (through the trusted proxy) has a budget of its own.
        async with _streams(site, lot, 1, **{"X-Forwarded-For": "198.51.100.7"}):
            pass
        clock.advance(timedelta(seconds=60))
        async with _streams(site, lot, 3):
            pass
        await _open_streams(site, 0)


async def test_open_streams_are_capped_per_client_address_and_process(
    deployment: dict[str, Any], clock: ManualClock
) -> None:
    async with served(deployment, clock, sse_streams_per_client=2) as site:
        lot = await list_lot(site, await seller_of(site))
        async with _streams(site, lot, 2) as held:
            _refused(await site.sse.get(f"/sse/v1/lots/{lot}/events"), "10")
            async with _streams(site, lot, 2, **{"X-Forwarded-For": "198.51.100.7"}):
                await _open_streams(site, 4)
            held[0].cancel()  # one of the two closes: the address may open one again
            await _open_streams(site, 1)
            async with _streams(site, lot, 1):
                _refused(await site.sse.get(f"/sse/v1/lots/{lot}/events"), "10")
        await _open_streams(site, 0)


async def test_the_sse_document_lists_the_refusal(deployment: dict[str, Any]) -> None:
    app = create_sse_app(api_settings(deployment))
    responses = app.openapi_schema.to_schema()["paths"]["/sse/v1/lots/{lot_id}/events"]["get"]["responses"]
    assert "429" in responses
    assert list(responses["429"]["content"]) == ["application/problem+json"]


async def test_the_bid_form_spends_the_same_budget(market: dict[str, Any]) -> None:
    """A browser's bids count with the API's: the page refuses the fourth with 429 and says so."""
    api, lot = market["api"], market["lot"]
    web = Web(api)
    ident = await web.sign_up()
    pair = await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
    token = pair.json()["accessToken"]
    for amount in (10_000, 12_000):
        assert (await _bid(api, lot, token, {"amount": amount})).status_code in (201, 409)
    await web.get(f"/lots/{lot}")
    placed = await web.post(f"/lots/{lot}/bids", {"amount": "20,000"}, htmx=True)
    assert placed.status_code == 409, placed.text  # the leader already: refused, and counted
    before = await _state(api, lot)
    refused = await web.post(f"/lots/{lot}/bids", {"amount": "30,000"}, htmx=True)
    assert refused.status_code == 429
    assert 'data-code="RATE_LIMITED"' in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert_problem(await _bid(api, lot, token, {"amount": 30_000}), 429, "RATE_LIMITED")
    assert await _state(api, lot) == before
