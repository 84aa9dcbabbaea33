"""The scheduler's Lambda handler, invoked as EventBridge Scheduler invokes it, on MariaDB + Redis."""

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sagopalgo.api.composition import open_market
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.scheduler.handler import make_handler
from tests.conftest import ApiFactory, production_like
from tests.integration.test_auction_day import Day, _admin_at, kst


@pytest.fixture
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Production-like only: the Lambda runs in AWS against RDS and ElastiCache."""
    settings = production_like(request, monkeypatch)
    for name, value in settings.items():  # the handler reads the same SAGOPALGO_* variables
        monkeypatch.setenv(f"SAGOPALGO_{name.upper()}", str(value))
    return settings


async def test_scheduled_events_open_and_close_the_day(api_factory: ApiFactory, clock: ManualClock) -> None:
    handler = make_handler(lambda: clock)
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 6, 2))
        sold, unsold = await day.setup(2)

        clock.set(kst(day.day, 9))
        # What EventBridge Scheduler delivers: the schedule's Input, as configured in infra/.
        opened = await asyncio.to_thread(handler, {"transition": "open"}, None)
        assert opened["transition"] == "open"
        assert opened["day"] == day.day.isoformat()
        assert opened["changed"] >= 2
        assert (await day.status(sold), await day.status(unsold)) == ("OPEN", "OPEN")
        await _admin_at(day)
        assert (await day.bid(sold, 0, 15_000)).status_code == 201

        clock.set(kst(day.day, 18))
        closed = await asyncio.to_thread(handler, {"transition": "close", "day": day.day.isoformat()}, None)
        assert closed["changed"] >= 2
        again = await asyncio.to_thread(handler, {"transition": "close"}, None)
        assert again["changed"] == 0
        assert (await day.status(sold), await day.status(unsold)) == ("SOLD", "UNSOLD")
        async with open_market(api.app.state.settings, clock) as market:  # on this test's loop
            runs = await market.days.recent_runs(10)
        assert [(r.transition, r.trigger) for r in runs[:3]] == [
            ("close", "lambda"),
            ("close", "lambda"),
            ("open", "lambda"),
        ]


def test_a_malformed_event_is_refused_before_anything_runs() -> None:
    handler = make_handler(lambda: ManualClock(kst(date(2031, 6, 2), 9)))
    with pytest.raises(Exception, match="transition"):
        handler({"transition": "reopen"}, None)
