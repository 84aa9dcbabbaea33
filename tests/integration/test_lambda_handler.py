"""The scheduler's Lambda handler, invoked as EventBridge Scheduler invokes it, on MariaDB + Redis."""

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sagopalgo.api.composition import BiddingAwards, open_market
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.payments.adapters.sql.repository import SqlPaymentsUnitOfWork
from sagopalgo.payments.adapters.toss import RetryPolicy, TossPaymentProvider
from sagopalgo.payments.application.service import PaymentsService
from sagopalgo.payments.domain import OrderStatus, ProviderUnavailable
from sagopalgo.scheduler.handler import make_handler
from tests.conftest import ApiFactory, production_like
from tests.integration.payments_helpers import CLIENT_KEY, order_row, running_fake, toss_settings, won_awards
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
            runs = await market.days.recent_runs(1_000)
        # The worker's database is shared: other tests' days (later ones too) have runs of their own.
        ours = [r for r in runs if r.day == day.day]
        assert [(r.transition, r.trigger) for r in ours[:3]] == [
            ("close", "lambda"),
            ("close", "lambda"),
            ("open", "lambda"),
        ]


def test_a_malformed_event_is_refused_before_anything_runs() -> None:
    handler = make_handler(lambda: ManualClock(kst(date(2031, 6, 2), 9)))
    with pytest.raises(Exception, match="transition"):
        handler({"transition": "reopen"}, None)


async def test_the_expire_run_settles_a_stuck_payment_before_lapsing_its_award(
    api_factory: ApiFactory, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = make_handler(lambda: clock)
    with running_fake() as fake:
        for name, value in toss_settings(fake).items():
            monkeypatch.setenv(f"SAGOPALGO_{name.upper()}", value)
        async with api_factory(**toss_settings(fake)) as api:
            won = await won_awards(api, clock, date(2031, 6, 3))
            checkout = await won.checkout()
            window = fake.authenticate(checkout["orderId"], 10_000)
            async with open_market(api.app.state.settings, clock) as market:
                unreachable = TossPaymentProvider(
                    fake.secret_key, base_url="http://127.0.0.1:9", retry=RetryPolicy(attempts=1)
                )
                cut_off = PaymentsService(
                    uow=lambda: SqlPaymentsUnitOfWork(market.sessions),
                    provider=unreachable,
                    awards=BiddingAwards(market.awards, market.catalog),
                    clock=clock,
                    client_key=CLIENT_KEY,
                    customer_secret=b"test",
                )
                with pytest.raises(ProviderUnavailable):  # the buyer saw a 503; the order waits
                    await cut_off.confirm(
                        await won.principal(),
                        payment_key=window.payment_key,
                        order_id=checkout["orderId"],
                        amount=10_000,
                    )
                await unreachable.aclose()

            clock.set(kst(won.day.day, 18) + timedelta(hours=72))  # the deadline, as the hourly run finds it
            ran = await asyncio.to_thread(handler, {"transition": "expire"}, None)

            assert (ran["transition"], ran["paymentsCompleted"]) == ("expire", 1)
            assert (await order_row(api, checkout["orderId"])).status is OrderStatus.PAID
            assert fake.payment(window.payment_key)["status"] == "DONE"
            assert await won.award_status() == "PAID"  # paid before the expiry could lapse it
            assert (await api.get(f"/api/v1/lots/{won.lots[0]}")).json()["status"] == "PAID"
