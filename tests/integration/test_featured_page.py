"""The main page follows the KST day, with the API process itself running in UTC.

08:59:59 KST is still the previous day in UTC, so a page computed in the server's zone would show
the wrong day's lots exactly at the moments tested here.
"""

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sagopalgo.api.composition import build_catalog, build_image_store
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.kernel.clock import SEOUL, ManualClock
from sagopalgo.platform.sql import create_engine, session_factory
from tests.conftest import ApiFactory
from tests.integration.helpers import (
    admin_token,
    bearer,
    lot_body,
    new_category,
    sign_up_and_in,
    upload_photo,
)

DAY = date(2027, 3, 15)  # a day no other test lists lots for


@pytest.fixture
def utc_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    assert time.strftime("%Z") == "UTC"
    yield
    monkeypatch.undo()
    time.tzset()


def kst(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SEOUL).astimezone(UTC)


async def _featured(api: AsyncTestClient[Any]) -> tuple[str, str, set[int]]:
    response = await api.get("/api/v1/lots/featured", params={"size": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return body["auctionDay"], body["phase"], {item["id"] for item in body["items"]}


async def test_the_featured_page_through_a_day(
    api_factory: ApiFactory, clock: ManualClock, utc_process: None
) -> None:
    clock.set(kst(10, day=date(2027, 3, 14)))
    async with api_factory() as api:
        category = (await new_category(api, await admin_token(api)))["id"]
        _, tokens = await sign_up_and_in(api)
        seller = tokens["accessToken"]

        async def listed(day: date) -> int:
            key = await upload_photo(api, seller)
            body = lot_body(category, [key], day.isoformat())
            response = await api.post("/api/v1/lots", json=body, headers=bearer(seller))
            assert response.status_code == 201, response.text
            return int(response.json()["id"])

        lagging, extended, sold, unsold, withdrawn = [await listed(DAY) for _ in range(5)]
        tomorrow = await listed(date(2027, 3, 16))
        assert (await api.delete(f"/api/v1/lots/{withdrawn}", headers=bearer(seller))).status_code == 204

        # What the scheduler will do (issue 6) is driven here through the catalog's own use cases.
        settings = api.app.state.settings
        engine = create_engine(settings.database_url)
        catalog: CatalogService = build_catalog(
            session_factory(engine), settings, clock, images=build_image_store(settings)
        )
        try:
            clock.set(kst(8, 59, 59))
            assert await _featured(api) == ("2027-03-15", "UPCOMING", {lagging, extended, sold, unsold})

            clock.set(kst(9))
            for lot_id in (extended, sold, unsold):  # the opener has not reached `lagging` yet
                await catalog.open_lot(lot_id)
            assert await _featured(api) == ("2027-03-15", "OPEN", {lagging, extended, sold, unsold})

            clock.set(kst(17, 59, 59))
            assert await _featured(api) == ("2027-03-15", "OPEN", {lagging, extended, sold, unsold})

            clock.set(kst(18))
            await catalog.close_lot(sold, has_winner=True)
            await catalog.close_lot(unsold, has_winner=False)
            # `extended` is still running on extended bidding; `lagging` never opened.
            assert await _featured(api) == ("2027-03-15", "CLOSED", {extended, sold, unsold})

            clock.set(kst(23, 59, 59))
            await catalog.close_lot(extended, has_winner=True)
            await catalog.mark_lot_paid(sold)
            assert await _featured(api) == ("2027-03-15", "CLOSED", {extended, sold, unsold})

            clock.set(kst(0, day=date(2027, 3, 16)))
            assert await _featured(api) == ("2027-03-16", "UPCOMING", {tomorrow})
        finally:
            await engine.dispose()
