"""Paying for an award through Toss, on both deployments, against the fake Toss over real HTTP:
checkout, confirm, refusals, retries, lost writes, reconciliation, refunds and bad input."""

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import OperationalError

from sagopalgo.api.composition import BiddingAwards, open_market
from sagopalgo.bidding.domain.award import AwardNotPayable
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.payments.adapters.fake_toss import FakeToss, Fault
from sagopalgo.payments.adapters.sql.repository import SqlPaymentsUnitOfWork
from sagopalgo.payments.adapters.toss import RetryPolicy, TossPaymentProvider
from sagopalgo.payments.application.service import PaymentsService
from sagopalgo.payments.domain import OrderStatus, PaymentStatus, ProviderUnavailable
from tests.conftest import ApiFactory
from tests.integration.helpers import assert_problem, bearer, sign_up_and_in
from tests.integration.payments_helpers import (
    CLIENT_KEY,
    CONFIRM,
    CommitFailsAfterPaid,
    confirms,
    order_row,
    running_fake,
    toss_settings,
    won_awards,
)
from tests.integration.test_auction_day import kst


@pytest.fixture
def fake_toss() -> Iterator[FakeToss]:
    with running_fake() as fake:
        yield fake


@pytest.fixture
async def pay_api(api_factory: ApiFactory, fake_toss: FakeToss) -> AsyncIterator[AsyncTestClient[Any]]:
    async with api_factory(**toss_settings(fake_toss)) as api:
        yield api


def _service(market: Any, fake: FakeToss, clock: ManualClock, **kwargs: Any) -> PaymentsService:
    """The market's payment use cases, composed by the test with a part of its choosing."""
    provider = kwargs.pop("provider", None) or TossPaymentProvider(
        fake.secret_key, base_url=fake.base_url or "", retry=RetryPolicy(attempts=1)
    )
    return PaymentsService(
        uow=kwargs.pop("uow", None) or (lambda: SqlPaymentsUnitOfWork(market.sessions)),
        provider=provider,
        awards=BiddingAwards(market.awards, market.catalog),
        clock=clock,
        client_key=CLIENT_KEY,
        customer_secret=b"test",
        **kwargs,
    )


# ------------------------------------------------------------------ the happy path
async def test_the_winner_checks_out_pays_and_the_award_and_lot_are_paid(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 2))
    checkout = await won.checkout()
    assert re.fullmatch(r"[A-Za-z0-9_-]{6,64}", checkout["orderId"])
    assert (checkout["amount"], checkout["orderName"], checkout["clientKey"]) == (
        10_000,
        "조선 백자 달항아리",
        CLIENT_KEY,
    )
    assert re.fullmatch(r"[A-Za-z0-9_=.@-]{2,50}", checkout["customerKey"])
    assert (await won.checkout())["orderId"] == checkout["orderId"]  # the open order, reused

    # The buyer authenticates in Toss's window; the success redirect carries these three.
    window = fake_toss.authenticate(checkout["orderId"], checkout["amount"], checkout["orderName"])
    paid = await won.confirm(
        {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": checkout["amount"]}
    )

    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["orderId"], body["status"], body["method"]) == (checkout["orderId"], "PAID", "카드")
    assert body["approvedAt"].endswith("+09:00")
    assert body["receiptUrl"].startswith(fake_toss.base_url or "")
    assert await won.award_status() == "PAID"
    assert (await pay_api.get(f"/api/v1/lots/{won.lots[0]}")).json()["status"] == "PAID"
    [(key, status, replayed)] = confirms(fake_toss)
    assert key is not None
    assert key.startswith(f"confirm:{checkout['orderId']}:")
    assert (status, replayed) == (200, False)
    assert fake_toss.payment(window.payment_key)["status"] == "DONE"
    again = await pay_api.post(f"/api/v1/awards/{won.awards[0]}/checkout", headers=await won.winner())
    assert_problem(again, 409, "ALREADY_PAID")


async def test_a_tampered_amount_is_refused_before_toss_is_asked(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 3))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 9_999)  # the client set 1 KRW less
    for amount in (9_999, 10_001):
        refused = await won.confirm(
            {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": amount}
        )
        assert_problem(refused, 422, "AMOUNT_MISMATCH")
    assert confirms(fake_toss) == []  # Toss was never called
    assert (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.OPEN
    assert await won.award_status() == "PAYMENT_DUE"

    honest = fake_toss.authenticate(checkout["orderId"], 10_000)
    paid = await won.confirm(
        {"paymentKey": honest.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    )
    assert paid.status_code == 200, paid.text


async def test_a_second_confirm_of_a_paid_order_is_409_already_paid_or_a_replay_with_its_key(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    """API.md: a paid order → 409 ALREADY_PAID. A client that repeats with its Idempotency-Key gets
    the first answer back instead; Toss is asked once either way."""
    won = await won_awards(pay_api, clock, date(2032, 3, 4))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    body = {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}

    first = await won.confirm(body, **{"Idempotency-Key": "pay-once-1"})
    assert first.status_code == 200, first.text
    replay = await won.confirm(body, **{"Idempotency-Key": "pay-once-1"})
    assert (replay.status_code, replay.json()) == (200, first.json())
    assert replay.headers["idempotent-replayed"] == "true"
    second = await won.confirm(body)
    problem = assert_problem(second, 409, "ALREADY_PAID")
    assert (problem["orderId"], problem["receiptUrl"]) == (checkout["orderId"], first.json()["receiptUrl"])
    assert [(status, replayed) for _, status, replayed in confirms(fake_toss)] == [(200, False)]


# ------------------------------------------------------------------ Toss failing, refusing, expiring
async def test_a_toss_500_is_retried_with_the_same_key_and_succeeds(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 5))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    fake_toss.add_fault(Fault(code="FAILED_INTERNAL_SYSTEM_PROCESSING", path=CONFIRM))

    paid = await won.confirm(
        {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    )

    assert paid.status_code == 200, paid.text
    [(key1, status1, _), (key2, status2, _)] = confirms(fake_toss)
    assert (status1, status2) == (500, 200)
    assert key1 == key2
    assert await won.award_status() == "PAID"


async def test_toss_down_is_503_and_leaves_the_order_confirming_until_a_retry_settles_it(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 6))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    body = {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    fake_toss.add_fault(Fault(code="FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", path=CONFIRM, times=None))

    down = await won.confirm(body)

    assert_problem(down, 503, "UNAVAILABLE")
    assert down.headers["retry-after"] == "1"
    order = await order_row(pay_api, checkout["orderId"])
    assert (order.status, order.payment_key) == (OrderStatus.CONFIRMING, window.payment_key)
    other = fake_toss.authenticate(checkout["orderId"], 10_000)  # a second window meanwhile
    busy = await won.confirm({**body, "paymentKey": other.payment_key})
    assert_problem(busy, 409, "PAYMENT_IN_PROGRESS")
    checkout_again = await pay_api.post(
        f"/api/v1/awards/{won.awards[0]}/checkout", headers=await won.winner()
    )
    assert_problem(checkout_again, 409, "PAYMENT_IN_PROGRESS")

    fake_toss.clear_faults()
    retried = await won.confirm(body)
    assert retried.status_code == 200, retried.text
    assert len({key for key, _, _ in confirms(fake_toss, checkout["orderId"])}) == 1  # one key throughout
    assert fake_toss.payment(other.payment_key)["status"] == "IN_PROGRESS"  # never confirmed


async def test_a_lost_confirm_answer_is_settled_at_once_when_toss_has_decided(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    """Toss's confirm answers are lost (5xx on every try) while the payment's window runs out:
    the read-back shows it expired, so the buyer hears 402 now and may check out again, rather
    than 503 and an order left CONFIRMING until the reconciler's next pass."""
    won = await won_awards(pay_api, clock, date(2032, 3, 7))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    fake_toss.add_fault(Fault(code="FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", path=CONFIRM, times=None))
    fake_toss.advance(timedelta(minutes=10, seconds=1))

    lost = await won.confirm(
        {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    )

    problem = assert_problem(lost, 402, "PAYMENT_REJECTED")
    assert problem["tossCode"] == "EXPIRED_PAYMENT"
    assert fake_toss.payment(window.payment_key)["status"] == "EXPIRED"
    assert (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.FAILED
    assert await won.award_status() == "PAYMENT_DUE"
    fake_toss.clear_faults()
    again = await won.checkout()
    assert again["orderId"] != checkout["orderId"]


async def test_a_declined_card_is_402_with_tosss_code_and_a_new_checkout_may_pay(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 9))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    body = {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}

    declined = await won.confirm(body, **{"TossPayments-Test-Code": "REJECT_CARD_COMPANY"})

    problem = assert_problem(declined, 402, "PAYMENT_REJECTED")
    assert problem["tossCode"] == "REJECT_CARD_COMPANY"
    assert [(r.test_code, r.status) for r in fake_toss.requests if r.path == CONFIRM] == [
        ("REJECT_CARD_COMPANY", 403)
    ]
    order = await order_row(pay_api, checkout["orderId"])
    assert (order.status, order.failure_code) == (OrderStatus.FAILED, "REJECT_CARD_COMPANY")
    assert await won.award_status() == "PAYMENT_DUE"
    assert_problem(await won.confirm(body), 409, "ORDER_CLOSED")

    fresh = await won.checkout()
    assert fresh["orderId"] != checkout["orderId"]
    again = fake_toss.authenticate(fresh["orderId"], 10_000)
    paid = await won.confirm({"paymentKey": again.payment_key, "orderId": fresh["orderId"], "amount": 10_000})
    assert paid.status_code == 200, paid.text


async def test_a_confirm_after_tosss_ten_minute_window_is_402_session_expired(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 10))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    fake_toss.advance(timedelta(minutes=10, seconds=1))

    late = await won.confirm(
        {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    )

    problem = assert_problem(late, 402, "PAYMENT_REJECTED")
    assert problem["tossCode"] == "NOT_FOUND_PAYMENT_SESSION"
    assert fake_toss.payment(window.payment_key)["status"] == "EXPIRED"
    assert (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.FAILED
    assert await won.award_status() == "PAYMENT_DUE"


async def test_an_expired_award_cannot_be_checked_out_or_confirmed(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 11))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    clock.set(kst(won.day.day, 18) + timedelta(hours=72))  # the deadline (not yet run by expiry)

    late = await won.confirm(
        {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    )
    assert_problem(late, 409, "AWARD_EXPIRED")
    again = await pay_api.post(f"/api/v1/awards/{won.awards[0]}/checkout", headers=await won.winner())
    assert_problem(again, 409, "AWARD_EXPIRED")
    assert confirms(fake_toss) == []
    assert (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.OPEN


# ------------------------------------------------------------------ never a charged-but-unpaid award
@pytest.mark.parametrize("settle_by", ["repeated confirm", "reconciliation"])
async def test_toss_approves_but_our_write_fails_and_it_is_completed_exactly_once(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss, settle_by: str
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 12 if settle_by == "reconciliation" else 13))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    body = {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}
    buyer = await won.principal()

    async with open_market(pay_api.app.state.settings, clock) as market:
        broken = _service(market, fake_toss, clock, uow=lambda: CommitFailsAfterPaid(market.sessions))
        with pytest.raises(OperationalError):
            await broken.confirm(
                buyer, payment_key=window.payment_key, order_id=checkout["orderId"], amount=10_000
            )
        assert fake_toss.payment(window.payment_key)["status"] == "DONE"  # the money is taken...
        stuck = await order_row(pay_api, checkout["orderId"])
        assert stuck.status is OrderStatus.CONFIRMING  # ...and the evidence is there

        if settle_by == "reconciliation":
            assert (
                await market.payments.reconcile()
            ).completed == 0  # not stale yet: a confirm may be running
            clock.advance(timedelta(seconds=61))
            done = await market.payments.reconcile()
            assert (done.completed, done.pending) == (1, 0)
            assert (await market.payments.reconcile()).completed == 0
            assert_problem(await won.confirm(body), 409, "ALREADY_PAID")
        else:
            repeated = await won.confirm(body)
            assert repeated.status_code == 200, repeated.text

    order = await order_row(pay_api, checkout["orderId"])
    assert (order.status, order.payment_key, order.method) == (OrderStatus.PAID, window.payment_key, "카드")
    assert await won.award_status() == "PAID"
    assert (await pay_api.get(f"/api/v1/lots/{won.lots[0]}")).json()["status"] == "PAID"
    approvals = [(status, replayed) for _, status, replayed in confirms(fake_toss)]
    assert approvals.count((200, False)) == 1  # Toss approved once; a repeat was a replay


async def test_a_payment_approved_after_the_award_lapsed_is_refunded_in_full(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 16))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    buyer = await won.principal()

    async with open_market(pay_api.app.state.settings, clock) as market:
        unreachable = TossPaymentProvider(
            fake_toss.secret_key, base_url="http://127.0.0.1:9", retry=RetryPolicy(attempts=1)
        )
        cut_off = _service(market, fake_toss, clock, provider=unreachable)
        with pytest.raises(ProviderUnavailable):  # Toss unreachable: 503, order left CONFIRMING
            await cut_off.confirm(
                buyer, payment_key=window.payment_key, order_id=checkout["orderId"], amount=10_000
            )
        await unreachable.aclose()
        clock.set(kst(won.day.day, 18) + timedelta(hours=72))
        await market.days.expire_awards(trigger="test")  # the award lapses meanwhile
        assert await won.award_status() == "EXPIRED"

        # The reconciler finishes the confirm the buyer started (same key); Toss approves; the
        # award is gone, so the money goes straight back.
        done = await market.payments.reconcile()
        assert done.refunded == 1
        with pytest.raises(AwardNotPayable):  # and it stays lapsed
            await market.awards.mark_paid(won.awards[0])

    order = await order_row(pay_api, checkout["orderId"])
    assert (order.status, order.refunded_amount) == (OrderStatus.REFUNDED, 10_000)
    payment = fake_toss.payment(window.payment_key)
    assert (payment["status"], payment["balanceAmount"]) == (PaymentStatus.CANCELED.value, 0)
    assert (await pay_api.get(f"/api/v1/lots/{won.lots[0]}")).json()["status"] == "UNSOLD"


# ------------------------------------------------------------------ who may do what; refunds
async def test_only_the_winner_pays_and_unknown_ids_are_404(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 17))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    body = {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}

    assert_problem(
        await pay_api.post(f"/api/v1/awards/{won.awards[0]}/checkout", headers=await won.loser()),
        403,
        "FORBIDDEN",
    )
    theirs = await pay_api.post("/api/v1/payments/confirm", json=body, headers=await won.loser())
    assert_problem(theirs, 403, "FORBIDDEN")
    assert_problem(
        await pay_api.post("/api/v1/awards/999999999/checkout", headers=await won.winner()), 404, "NOT_FOUND"
    )
    assert_problem(await won.confirm({**body, "orderId": "sgp-0-nosuchorder"}), 404, "NOT_FOUND")
    assert_problem(await pay_api.post("/api/v1/payments/confirm", json=body), 401, "UNAUTHENTICATED")
    assert confirms(fake_toss) == []
    assert (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.OPEN


async def test_an_admin_refunds_a_paid_order_in_full_once(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 18), lots=2)
    unpaid = await won.checkout(1)
    checkout = await won.checkout(0)
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    await won.confirm({"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000})
    url = f"/api/v1/admin/payments/{checkout['orderId']}/refund"
    reason = {"reason": "작품 파손으로 거래 취소"}

    assert_problem(await pay_api.post(url, json=reason, headers=await won.winner()), 403, "FORBIDDEN")
    refunded = await pay_api.post(url, json=reason, headers=await won.admin())
    assert refunded.status_code == 200, refunded.text
    body = refunded.json()
    assert (body["orderId"], body["status"], body["refundedAmount"], body["reason"]) == (
        checkout["orderId"],
        "REFUNDED",
        10_000,
        "작품 파손으로 거래 취소",
    )
    assert body["refundedAt"].endswith("+09:00")
    payment = fake_toss.payment(window.payment_key)
    assert (payment["status"], payment["cancels"][0]["cancelReason"]) == (
        "CANCELED",
        "작품 파손으로 거래 취소",
    )
    assert_problem(await pay_api.post(url, json=reason, headers=await won.admin()), 409, "ALREADY_REFUNDED")
    not_paid = f"/api/v1/admin/payments/{unpaid['orderId']}/refund"
    assert_problem(
        await pay_api.post(not_paid, json=reason, headers=await won.admin()), 409, "NOT_REFUNDABLE"
    )
    unknown = "/api/v1/admin/payments/sgp-0-nosuchorder/refund"
    assert_problem(await pay_api.post(unknown, json=reason, headers=await won.admin()), 404, "NOT_FOUND")
    assert len([r for r in fake_toss.requests if r.path.endswith("/cancel")]) == 1


# ------------------------------------------------------------------ bad input changes nothing
_BAD_CONFIRMS = [
    ("amount as a string", {"amount": "10000"}),
    ("fractional amount", {"amount": 10000.5}),
    ("amount as a boolean", {"amount": True}),
    ("zero amount", {"amount": 0}),
    ("negative amount", {"amount": -10000}),
    ("huge amount", {"amount": 2**70}),
    ("orderId too short", {"orderId": "abc"}),
    ("orderId with a space", {"orderId": "sgp 1 abcdef"}),
    ("orderId with a dot", {"orderId": "sgp.1.abcdef"}),
    ("orderId too long", {"orderId": "a" * 65}),
    ("empty paymentKey", {"paymentKey": ""}),
    ("paymentKey too long", {"paymentKey": "k" * 201}),
    ("unknown field", {"extra": 1}),
    ("paymentKey missing", {"paymentKey": None}),
    ("orderId missing", {"orderId": None}),
    ("amount missing", {"amount": None}),
]


async def test_bad_confirms_and_refunds_are_problems_that_change_nothing(
    pay_api: AsyncTestClient[Any], clock: ManualClock, fake_toss: FakeToss
) -> None:
    won = await won_awards(pay_api, clock, date(2032, 3, 19))
    checkout = await won.checkout()
    window = fake_toss.authenticate(checkout["orderId"], 10_000)
    good = {"paymentKey": window.payment_key, "orderId": checkout["orderId"], "amount": 10_000}

    for case, change in _BAD_CONFIRMS:
        body = {k: v for k, v in {**good, **change}.items() if v is not None}
        problem = assert_problem(await won.confirm(body), 400, "VALIDATION_FAILED")
        assert problem["errors"], case
    for raw in (b"not json", b"[]", b'{"paymentKey": "x"'):
        sent = await pay_api.post(
            "/api/v1/payments/confirm",
            content=raw,
            headers={**await won.winner(), "Content-Type": "application/json"},
        )
        assert_problem(sent, 400, "VALIDATION_FAILED")
    bad_code = await won.confirm(good, **{"TossPayments-Test-Code": "not a code"})
    assert_problem(bad_code, 400, "VALIDATION_FAILED")
    admin = await won.admin()
    for path, body in [
        (f"/api/v1/admin/payments/{checkout['orderId']}/refund", {}),
        (f"/api/v1/admin/payments/{checkout['orderId']}/refund", {"reason": ""}),
        (f"/api/v1/admin/payments/{checkout['orderId']}/refund", {"reason": "x" * 201}),
        ("/api/v1/admin/payments/bad.id/refund", {"reason": "r"}),
    ]:
        assert_problem(await pay_api.post(path, json=body, headers=admin), 400, "VALIDATION_FAILED")
    for award in ("abc", "0", "-1"):
        bad = await pay_api.post(f"/api/v1/awards/{award}/checkout", headers=await won.winner())
        assert bad.status_code in (400, 404), (award, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")

    assert [r for r in fake_toss.requests if r.path.startswith("/v1/")] == []  # Toss never asked
    assert (await order_row(pay_api, checkout["orderId"])).status is OrderStatus.OPEN
    assert await won.award_status() == "PAYMENT_DUE"
    paid = await won.confirm(good)
    assert paid.status_code == 200, paid.text


async def test_without_toss_keys_payments_answer_503_and_the_rest_runs(
    api: AsyncTestClient[Any],
) -> None:
    _, tokens = await sign_up_and_in(api)
    off = await api.post("/api/v1/awards/1/checkout", headers=bearer(tokens["accessToken"]))
    assert_problem(off, 503, "PAYMENTS_DISABLED")
    assert (await api.get("/health/ready")).status_code == 200
