"""A small live market for the fuzzers to meet: accounts, a category, lots in every state, an award."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from sagopalgo.api.app import create_app
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.settings import Settings
from tests.integration.helpers import bearer, lot_body, upload_photo
from tests.integration.payments_helpers import won_awards
from tests.integration.test_auction_day import kst


@dataclass(frozen=True)
class Market:
    day: date
    """The day that is open now (the clock stands at 10:00 KST on it)."""
    tokens: dict[str, str]
    """Access tokens valid at the clock's time: ``winner``, ``bidder``, ``seller``, ``admin``."""
    open_lot: int
    scheduled_lot: int
    sold_lots: list[int]
    awards: list[int]


def fuzz_day() -> date:
    """A day of this run's own, so runs sharing a worker's MariaDB never meet on one day."""
    return date(2040, 1, 1) + timedelta(days=random.randrange(20_000))


async def seed_market(settings: Settings, clock: ManualClock) -> Market:
    """Yesterday's day closed with awards for ``winner``, today's lot open with a bid, tomorrow's listed.

    Seeded over HTTP by an app of its own, which is closed before the fuzzers start theirs: what the
    fuzzed app meets is only what the database (and Redis) kept.
    """
    yesterday = fuzz_day()
    today, tomorrow = yesterday + timedelta(days=1), yesterday + timedelta(days=2)
    async with AsyncTestClient(app=create_app(settings, clock=clock)) as api:
        won = await won_awards(api, clock, yesterday, lots=2)
        day = won.day
        seller = await day.token_of(day.seller_ident)
        lots = []
        for when in (today, tomorrow):
            key = await upload_photo(api, seller)
            body = lot_body(day.category, [key], when.isoformat(), startPrice=10_000, bidIncrement=1_000)
            created = await api.post("/api/v1/lots", json=body, headers=bearer(seller))
            assert created.status_code == 201, created.text
            lots.append(int(created.json()["id"]))
        clock.set(kst(today, 10))
        admin = await day.token_of(day.admin_ident)
        opened = await api.post(f"/api/v1/admin/auction-days/{today}/open", headers=bearer(admin))
        assert opened.status_code == 200, opened.text
        bidder = await day.token_of(day.bidders[1])
        placed = await api.post(
            f"/api/v1/lots/{lots[0]}/bids", json={"amount": 10_000}, headers=bearer(bidder)
        )
        assert placed.status_code == 201, placed.text
        tokens: dict[str, Any] = {
            "winner": await day.token_of(day.bidders[0]),
            "bidder": bidder,
            "seller": await day.token_of(day.seller_ident),
            "admin": admin,
        }
    return Market(today, tokens, lots[0], lots[1], won.lots, won.awards)
