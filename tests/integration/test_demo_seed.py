"""``sagopalgo demo`` seeds lots a newcomer can bid on at once, whatever the hour in Korea."""

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.api.composition import build_catalog, build_image_store
from sagopalgo.bidding.adapters.sql.repository import SqlBiddingUnitOfWork
from sagopalgo.bidding.contract import AwardStatus
from sagopalgo.catalog.contract import LotStatus
from sagopalgo.catalog.ports import LotQuery
from sagopalgo.cli.demo import DEMO_USERS, seed_demo
from sagopalgo.cli.demo_lots import TODAY, TOMORROW, WON, demo_window
from sagopalgo.kernel.clock import SEOUL, ManualClock
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.settings import load_settings
from sagopalgo.platform.sql import create_engine, session_factory


@pytest.mark.parametrize("local", [time(0, 0, 5), time(8, 59, 59), time(13, 37), time(18, 0), time(23, 40)])
async def test_todays_demo_lots_are_open_now_and_seeding_twice_adds_nothing(
    local: time, sqlite_url: str, tmp_path: Path
) -> None:
    now = datetime.combine(datetime(2026, 11, 25).date(), local, SEOUL).astimezone(UTC)
    clock = ManualClock(now)
    settings = load_settings(
        {}, database_url=sqlite_url, media_dir=str(tmp_path / "media"), jwt_secret="x" * 40
    )
    window, listed = await seed_demo(settings, clock)
    assert listed == len(TODAY) + len(TOMORROW)
    assert (
        window.opens_at(now.astimezone(SEOUL).date()) <= now < window.closes_at(now.astimezone(SEOUL).date())
    )
    assert (await seed_demo(settings, clock))[1] == 0

    engine = create_engine(sqlite_url)
    try:
        catalog = build_catalog(session_factory(engine), settings, clock, images=build_image_store(settings))
        page = PageRequest(1, 100)
        open_now = await catalog.find_lots(LotQuery(statuses=frozenset({LotStatus.OPEN})), page)
        upcoming = await catalog.find_lots(LotQuery(statuses=frozenset({LotStatus.SCHEDULED})), page)
        featured = await catalog.featured(page)
        sold = await catalog.find_lots(LotQuery(statuses=frozenset({LotStatus.SOLD})), page)
        sessions = session_factory(engine)
        async with SqlAccountsUnitOfWork(sessions) as accounts:
            winner = await accounts.users.by_email(DEMO_USERS[2].email)
        assert winner is not None
        assert winner.id is not None
        async with SqlBiddingUnitOfWork(sessions) as bidding:
            awards = await bidding.awards.of_winner(winner.id, page)
    finally:
        await engine.dispose()
    # Yesterday's auction left one lot won by the first demo bidder, to be paid.
    assert [(lot.title, lot.price, lot.bid_count) for lot in sold.items] == [(WON.title, WON.start_price, 1)]
    assert [(a.lot_id, a.amount, a.status) for a in awards.items] == [
        (sold.items[0].id, WON.start_price, AwardStatus.PAYMENT_DUE)
    ]
    assert awards.items[0].pay_by > now
    assert open_now.total == len(TODAY)
    assert all(lot.opens_at <= now < lot.closes_at for lot in open_now.items)
    assert upcoming.total == len(TOMORROW)
    assert {lot.id for lot in open_now.items} <= {lot.id for lot in featured.lots.items}


def test_the_demo_window_never_crosses_midnight() -> None:
    late = datetime(2026, 11, 25, 23, 59, tzinfo=SEOUL)
    window = demo_window(late)
    assert (window.opens, window.closes) == (time(23, 0), time(23, 59))
