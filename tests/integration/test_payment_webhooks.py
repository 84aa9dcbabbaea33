"""Toss's webhook on both deployments: answered exactly 200, deduplicated by transmission id, acted
on only by reading the payment back, whatever order deliveries arrive in."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from sagopalgo.api.app import create_app
from sagopalgo.api.composition import BiddingAwards, open_market
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.payments.adapters.fake_toss import FakeToss, WebhookDelivery, serve_asgi
from sagopalgo.payments.adapters.sql.tables import webhook_receipts
from sagopalgo.payments.adapters.toss import TossPaymentProvider
from sagopalgo.payments.application.service import PaymentsService
from sagopalgo.payments.domain import OrderStatus
from sagopalgo.platform.sql import create_engine
from tests.conftest import ApiFactory
from tests.integration.helpers import assert_problem
from tests.integration.payments_helpers import (
    CLIENT_KEY,
    CommitFailsAfterPaid,
    Won,
    order_row,
    running_fake,
    toss_settings,
    won_awards,
)

WEBHOOK = "/api/v1/payments/webhooks/toss"


@pytest.fixture
def fake_toss() -> Iterator[FakeToss]:
    with running_fake() as fake:
        yield fake


@pytest.fixture
async def pay_api(api_factory: ApiFactory, fake_toss: FakeToss) -> AsyncIterator[AsyncTestClient[Any]]:
    async with api_factory(**toss_settings(fake_toss)) as api:
        yield api


async def deliver(api: AsyncTestClient[Any], delivery: WebhookDelivery, retried: int = 0) -> Any:
    """POST one of the fake's events as Toss would (same body and headers)."""
    headers = {
        "Content-Type": "application/json",
        "tosspayments-webhook-transmission-time": "2032-04-01T18:00:00+09:00",
        "tosspayments-webhook-transmission-retried-count": str(retried),
        "tosspayments-webhook-transmission-id": delivery.transmission_id,
    }
    return await api.post(WEBHOOK, content=delivery.body, headers=headers)


def events(fake: FakeToss, payment_key: str) -> list[WebhookDelivery]:
    return [d for d in fake.webhooks if d.payment_key == payment_key]


def lookups(fake: FakeToss) -> int:
    return len([r for r in fake.requests if r.method == "GET" and r.path.startswith("/v1/payments/")])


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never came true")
        await asyncio.sleep(0.02)


async def paid_order(won: Won, fake: FakeToss) -> tuple[str, str]:
    checkout = await won.checkout()
    window = fake.authenticate(checkout["orderId"], 10_000)
    paid = await won.confirm(
        {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    )
    assert paid.status_code == 200, paid.text
    return checkout["orderId"], window.payment_key


async def test_a_done_notice_completes_an_order_our_write_lost_and_its_repeat_is_ignored(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 4, 1))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    async with open_market(pay_api.app.state.settings, clock) as market:
        toss = TossPaymentProvider(fake_toss.secret_key, base_url=fake_toss.base_url or "")
        broken = PaymentsService(
            uow=lambda: CommitFailsAfterPaid(market.sessions),
            provider=toss,
            awards=BiddingAwards(market.awards, market.catalog),
            clock=clock,
            client_key=CLIENT_KEY,
            customer_secret=b"test",
        )
        with pytest.raises(OperationalError):
            await broken.confirm(
                await won.principal(),
                payment_key=window.payment_key,
                order_id=checkout["orderId"],
                amount=10_000,
            )
        await toss.aclose()
    assert (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.CONFIRMING
    [done] = events(fake_toss, window.payment_key)
    assert done.payment_status == "DONE"

    answered = await deliver(pay_api, done)

    assert (answered.status_code, answered.json()) == (200, {"received": True})

    async def completed() -> bool:
        return (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.PAID

    await eventually(completed)
    assert await won.award_status() == "PAID"
    seen = lookups(fake_toss)
    for retried in (1, 2):  # Toss's retries and the console's "다시 시도": the same transmission id
        repeat = await deliver(pay_api, done, retried)
        assert repeat.status_code == 200
    assert lookups(fake_toss) == seen  # deduplicated: not even read back again


async def test_notices_are_read_back_from_toss_never_trusted(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 4, 2))
    order_id, payment_key = await paid_order(won, fake_toss)
    before = lookups(fake_toss)
    forged = [
        # a cancel the body claims, for our real payment: Toss says it is DONE
        {"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": payment_key, "status": "CANCELED"}},
        # a payment Toss never made
        {"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "tgen_FORGED", "orderId": order_id}},
        # nothing we act on
        {"eventType": "BILLING_DELETED", "data": {}},
    ]
    for n, body in enumerate(forged):
        sent = await pay_api.post(
            WEBHOOK, json=body, headers={"tosspayments-webhook-transmission-id": f"whtrans_forged_{n}"}
        )
        assert sent.status_code == 200, sent.text
    for garbage in (b"not json", b'{"eventType": 5}'):
        sent = await pay_api.post(WEBHOOK, content=garbage, headers={"Content-Type": "application/json"})
        assert_problem(sent, 400, "VALIDATION_FAILED")

    async def read_back() -> bool:
        return lookups(fake_toss) == before + 2  # the two notices naming a payment were checked

    await eventually(read_back)
    order = await order_row(pay_api, order_id)
    assert order.status is OrderStatus.PAID
    assert await won.award_status() == "PAID"


async def test_a_cancel_at_tosss_console_delivered_before_its_done_ends_refunded(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 4, 3))
    order_id, payment_key = await paid_order(won, fake_toss)
    async with TossPaymentProvider(fake_toss.secret_key, base_url=fake_toss.base_url or "") as console:
        await console.cancel(payment_key, "고객 요청 (콘솔)", "console-cancel-1")
    done, canceled = events(fake_toss, payment_key)
    assert (done.payment_status, canceled.payment_status) == ("DONE", "CANCELED")

    for delivery in (canceled, done, canceled):  # out of order, then a repeat
        assert (await deliver(pay_api, delivery)).status_code == 200

    async def refunded() -> bool:
        return (await order_row(pay_api, order_id)).status is OrderStatus.REFUNDED

    await eventually(refunded)
    order = await order_row(pay_api, order_id)
    assert (order.refunded_amount, order.refund_reason) == (10_000, "고객 요청 (콘솔)")
    assert lookups(fake_toss) == 2  # one read-back per transmission, none for the repeat


async def test_tosss_own_deliveries_reach_a_served_api_in_reverse_and_get_exactly_200(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    """The fake sends its webhooks over HTTP to a second API process on the same database."""
    won = await won_awards(pay_api, clock, date(2032, 4, 6))
    with serve_asgi(create_app(pay_api.app.state.settings, clock=clock), lifespan="on") as other:
        fake_toss.configure_webhooks(url=f"{other}{WEBHOOK}")
        fake_toss.pause_webhooks()
        order_id, payment_key = await paid_order(won, fake_toss)
        refund = await pay_api.post(
            f"/api/v1/admin/payments/{order_id}/refund", json={"reason": "파손"}, headers=await won.admin()
        )
        assert refund.status_code == 200, refund.text
        fake_toss.flush_webhooks(reverse=True)  # CANCELED first, then DONE

        async def delivered() -> bool:
            return all(d.delivered for d in events(fake_toss, payment_key))

        await eventually(delivered)
        engine = create_engine(pay_api.app.state.settings.database_url)
        try:

            async def applied() -> bool:
                async with engine.connect() as conn:
                    rows = (await conn.execute(select(webhook_receipts))).all()
                ours = [r for r in rows if r.payment_key == payment_key]
                return len(ours) == 2 and all(r.processed_at is not None for r in ours)

            await eventually(applied)
        finally:
            await engine.dispose()
        sent = events(fake_toss, payment_key)
        assert [d.payment_status for d in sent] == ["DONE", "CANCELED"]
        assert [[(a.retried_count, a.status) for a in d.attempts] for d in sent] == [[(0, 200)], [(0, 200)]]
        body = msgspec.json.decode(sent[0].body)
        assert body["data"]["paymentKey"] == payment_key
    order = await order_row(pay_api, order_id)
    assert order.status is OrderStatus.REFUNDED
    assert await won.award_status() == "PAID"  # a refund gives the money back; the award stays settled
