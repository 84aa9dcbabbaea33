"""Bidding over HTTP on both deployments: the gate's answers, live prices, history, idempotency.

The production-like deployment runs once more with the row-lock gate (``BID_GATE=sql``), which the
benchmark measures against the Redis gate.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from sagopalgo.api.app import create_app
from sagopalgo.api.composition import build_catalog, build_image_store
from sagopalgo.bidding.adapters.sql.tables import gate_aliases, gate_lots
from sagopalgo.kernel.clock import SEOUL, ManualClock
from sagopalgo.platform.settings import SettingsError, load_settings
from sagopalgo.platform.sql import create_engine, session_factory
from tests.conftest import JWT_SECRET, ApiFactory, production_like
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

DAY = date(2026, 11, 26)


def kst(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, second, tzinfo=SEOUL).astimezone(UTC)


async def _token(api: AsyncTestClient[Any], ident: dict[str, str]) -> str:
    pair = await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
    return str(pair.json()["accessToken"])


@pytest.fixture(
    params=[
        pytest.param("embedded", id="embedded"),
        pytest.param("mariadb+redis", id="mariadb+redis", marks=pytest.mark.integration),
        pytest.param("mariadb+sql-gate", id="mariadb+sql-gate", marks=pytest.mark.integration),
    ]
)
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The API's two deployments, and the production-like one with the row-lock gate."""
    if request.param == "embedded":
        return {"database_url": request.getfixturevalue("sqlite_url"), "media_dir": str(tmp_path / "media")}
    settings = production_like(request, monkeypatch)
    if request.param == "mariadb+sql-gate":
        settings["bid_gate"] = "sql"
    return settings


@pytest.fixture
async def market(api_factory: ApiFactory, clock: ManualClock) -> AsyncIterator[dict[str, Any]]:
    """A lot listed the day before, opened at 09:00 KST on its day; a seller and three bidders."""
    async with api_factory() as api:
        category = await new_category(api, await admin_token(api))
        seller_ident, seller = await sign_up_and_in(api)
        key = await upload_photo(api, seller["accessToken"])
        body = lot_body(category["id"], [key], DAY.isoformat(), startPrice=10_000, bidIncrement=1_000)
        lot = (await api.post("/api/v1/lots", json=body, headers=bearer(seller["accessToken"]))).json()
        bidders = [(await sign_up_and_in(api))[0] for _ in range(3)]
        settings = api.app.state.settings
        engine = create_engine(settings.database_url)
        catalog = build_catalog(session_factory(engine), settings, clock, images=build_image_store(settings))
        clock.set(kst(9))
        await catalog.open_lot(lot["id"])  # what the 09:00 opener does
        await engine.dispose()
        clock.set(kst(10))
        tokens = [await _token(api, b) for b in bidders]
        yield {
            "api": api,
            "lot": lot["id"],
            "seller": await _token(api, seller_ident),
            "bidders": tokens,
            "idents": bidders,
            "clock": clock,
        }


async def _bid(api: AsyncTestClient[Any], lot: int, token: str, body: Any, key: str | None = None) -> Any:
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return await api.post(f"/api/v1/lots/{lot}/bids", json=body, headers=headers)


async def _written(api: AsyncTestClient[Any], lot: int, count: int) -> dict[str, Any]:
    """The bid log reaches the database asynchronously: wait (bounded) for ``count`` bids."""
    for _ in range(100):
        history = (await api.get(f"/api/v1/lots/{lot}/bids", params={"size": 100})).json()
        if history["total"] >= count:
            return dict(history)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bid log did not reach {count} bids: {history}")


async def test_bids_move_the_live_price_and_reach_the_history(market: dict[str, Any]) -> None:
    api, lot, (a, b, c) = market["api"], market["lot"], market["bidders"]
    first = await _bid(api, lot, a, {"amount": 10_000})
    assert first.status_code == 201, first.text
    assert first.json() | {"id": None} == {
        "id": None,
        "lotId": lot,
        "amount": 10_000,
        "maxAmount": 10_000,
        "placedAt": "2026-11-26T10:00:00+09:00",
        "currentPrice": 10_000,
        "bidCount": 1,
        "leading": True,
        "closesAt": "2026-11-26T18:00:00+09:00",
    }
    low = assert_problem(await _bid(api, lot, b, {"amount": 10_500}), 409, "BID_TOO_LOW")
    assert low["minimumBid"] == 11_000
    assert_problem(await _bid(api, lot, a, {"amount": 11_000}), 409, "ALREADY_LEADING")
    assert_problem(await _bid(api, lot, market["seller"], {"amount": 50_000}), 403, "OWN_LOT")
    over = assert_problem(await _bid(api, lot, b, {"amount": 10**12 + 1}), 422, "BID_OVER_LIMIT")
    assert over["maximumBid"] == 10**12

    proxy = await _bid(api, lot, b, {"amount": 11_000, "maxAmount": 30_000})
    assert (proxy.json()["leading"], proxy.json()["currentPrice"]) == (True, 11_000)
    outbid = await _bid(api, lot, c, {"amount": 20_000})
    assert (outbid.json()["leading"], outbid.json()["currentPrice"]) == (False, 21_000)

    detail = (await api.get(f"/api/v1/lots/{lot}")).json()
    assert (detail["currentPrice"], detail["bidCount"], detail["minimumNextBid"]) == (21_000, 4, 22_000)
    history = await _written(api, lot, 4)
    assert [(h["amount"], h["bidder"]) for h in history["items"]] == [
        (21_000, "Bidder 2"),
        (20_000, "Bidder 3"),
        (11_000, "Bidder 2"),
        (10_000, "Bidder 1"),
    ]
    assert "maxAmount" not in str(history)
    writer = (await api.get("/health/bid-writer")).json()  # three placements reached the database
    # The test's clock stood still: no lag.
    assert writer == {"written": 3, "lagP50Ms": 0, "lagP99Ms": 0, "deadLettered": 0}
    mine = (await api.get("/api/v1/me/bids", headers=bearer(b))).json()
    assert [(m["amount"], m["leading"]) for m in mine["items"]] == [(21_000, True), (11_000, True)]


async def test_an_idempotency_key_replays_the_first_answer(market: dict[str, Any]) -> None:
    api, lot, (a, b, _) = market["api"], market["lot"], market["bidders"]
    first = await _bid(api, lot, a, {"amount": 10_000}, key="order-1")
    again = await _bid(api, lot, a, {"amount": 10_000}, key="order-1")
    assert (again.status_code, again.json()) == (201, first.json())
    assert_problem(await _bid(api, lot, a, {"amount": 12_000}, key="order-1"), 422, "IDEMPOTENCY_KEY_REUSED")
    assert_problem(await _bid(api, lot, a, {"amount": 12_000}, key="x" * 65), 400, "VALIDATION_FAILED")
    assert (await _written(api, lot, 1))["total"] == 1
    assert (await _bid(api, lot, b, {"amount": 11_000}, key="order-1")).status_code == 201


async def test_bad_bids_change_nothing(market: dict[str, Any]) -> None:
    api, lot, (a, _, _) = market["api"], market["lot"], market["bidders"]
    assert (await _bid(api, lot, a, {"amount": 10_000})).status_code == 201
    for body in [
        {"amount": "20000"},
        {"amount": 20_000.5},
        {"amount": -5},
        {"amount": 0},
        {"amount": None},
        {},
        {"amount": 20_000, "maxAmount": 15_000},
        {"amount": 20_000, "bidder": 1},
    ]:
        assert_problem(await _bid(api, lot, a, body), 400, "VALIDATION_FAILED")
    for body in [{"amount": 2**63}, {"amount": 2**64 + 1}, {"amount": 20_000, "maxAmount": 2**70}]:
        assert_problem(await _bid(api, lot, market["bidders"][1], body), 422, "BID_OVER_LIMIT")
    empty = await api.post(f"/api/v1/lots/{lot}/bids", content=b"", headers=bearer(a))
    assert_problem(empty, 400, "VALIDATION_FAILED")
    assert_problem(await _bid(api, 999_999, a, {"amount": 10_000}), 404, "NOT_FOUND")
    assert_problem(
        await api.post(f"/api/v1/lots/{lot}/bids", json={"amount": 20_000}), 401, "UNAUTHENTICATED"
    )
    detail = (await api.get(f"/api/v1/lots/{lot}")).json()
    assert (detail["currentPrice"], detail["bidCount"]) == (10_000, 1)
    assert (await _written(api, lot, 1))["total"] == 1


async def test_no_bid_after_the_lots_own_close(market: dict[str, Any]) -> None:
    api, lot = market["api"], market["lot"]
    market["clock"].set(kst(17, 59, 59))
    a, b = [await _token(api, ident) for ident in market["idents"][:2]]  # the morning's tokens expired
    assert (await _bid(api, lot, a, {"amount": 10_000})).status_code == 201
    market["clock"].set(kst(18))
    assert_problem(await _bid(api, lot, b, {"amount": 50_000}), 409, "LOT_NOT_OPEN")


async def test_a_gate_that_lost_the_lot_rebuilds_it_from_the_database(market: dict[str, Any]) -> None:
    api, lot, (a, b, c) = market["api"], market["lot"], market["bidders"]
    assert (await _bid(api, lot, a, {"amount": 10_000})).status_code == 201
    assert (await _bid(api, lot, b, {"amount": 15_000, "maxAmount": 40_000})).status_code == 201
    await _written(api, lot, 2)
    settings = api.app.state.settings
    if settings.bid_gate == "sql":  # delete the lot's gate rows (the app's loop is not this test's)
        engine = create_engine(settings.database_url)
        async with engine.begin() as conn:
            await conn.execute(gate_lots.delete().where(gate_lots.c.lot_id == lot))
            await conn.execute(gate_aliases.delete().where(gate_aliases.c.lot_id == lot))
        await engine.dispose()
    elif settings.redis_url:  # flush the lot's gate keys, as a Redis restart or eviction would
        redis = Redis.from_url(settings.redis_url)
        await redis.delete(
            f"{settings.redis_prefix}bid:lot:{lot}", f"{settings.redis_prefix}bid:aliases:{lot}"
        )
        await redis.aclose()
    else:  # the in-process gate forgets the lot, as a process restart would
        api.app.state.bidding._gate.forget(lot)
    equal = assert_problem(await _bid(api, lot, c, {"amount": 15_000}), 409, "BID_TOO_LOW")
    assert equal["minimumBid"] == 16_000
    taken = await _bid(api, lot, c, {"amount": 16_000})
    assert (taken.json()["leading"], taken.json()["currentPrice"]) == (False, 17_000)  # b's maximum survived


@pytest.mark.parametrize(
    ("chosen", "missing"),
    [
        ({"bid_gate": "redis"}, "SAGOPALGO_REDIS_URL"),
        ({"bid_gate": "sql"}, "SAGOPALGO_DATABASE_URL"),  # the default SQLite has no row locks
    ],
)
def test_a_gate_without_its_server_stops_start_up(chosen: dict[str, str], missing: str) -> None:
    settings = load_settings({}, jwt_secret=JWT_SECRET, **chosen)
    with pytest.raises(SettingsError, match=missing):
        create_app(settings)
