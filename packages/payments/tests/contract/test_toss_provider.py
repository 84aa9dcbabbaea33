"""TossPaymentProvider against the fake Toss server over real HTTP on loopback."""

import asyncio
import base64
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from sagopalgo.payments.adapters.fake_toss import FakeToss, Fault
from sagopalgo.payments.adapters.toss import TossPaymentProvider, TossTimeouts, parse_webhook
from sagopalgo.payments.domain import (
    CancelRejected,
    PaymentAlreadyCanceled,
    PaymentAlreadyProcessed,
    PaymentNotFound,
    PaymentRejected,
    PaymentSessionExpired,
    PaymentStatus,
    ProviderAuthFailed,
    ProviderInFlight,
    ProviderUnavailable,
)
from sagopalgo.payments.ports import PaymentProvider

CONFIRM = "/v1/payments/confirm"
Make = Callable[..., TossPaymentProvider]


def confirms(fake: FakeToss) -> list[tuple[str | None, int | None]]:
    return [(r.idempotency_key, r.status) for r in fake.requests if r.path == CONFIRM]


async def test_confirm_approves_and_both_lookups_read_it_back(
    fake_toss: FakeToss, provider: PaymentProvider
) -> None:
    checkout = fake_toss.authenticate("award-1-a1", 150_000, "Celadon vase")

    paid = await provider.confirm(checkout.payment_key, "award-1-a1", 150_000, "confirm:award-1-a1")

    assert paid.status is PaymentStatus.DONE
    assert (paid.payment_key, paid.order_id, paid.order_name) == (
        checkout.payment_key,
        "award-1-a1",
        "Celadon vase",
    )
    assert (paid.total_amount, paid.balance_amount) == (150_000, 150_000)
    assert paid.approved_at is not None
    assert paid.approved_at.utcoffset() == timedelta(hours=9)
    assert paid.method == "카드"
    assert paid.receipt_url is not None
    assert paid.last_transaction_key is not None
    assert await provider.by_key(checkout.payment_key) == paid
    assert await provider.by_order("award-1-a1") == paid


async def test_unknown_payments_are_not_found(provider: PaymentProvider) -> None:
    with pytest.raises(PaymentNotFound):
        await provider.by_order("no-such-order")
    with pytest.raises(PaymentNotFound):
        await provider.by_key("tgen_nope/../../orders/x")


@pytest.mark.parametrize(
    ("order_id", "amount", "toss_code"),
    [("award-2-a1", 150_001, "INVALID_REQUEST"), ("award-2-zz", 150_000, "FORBIDDEN_REQUEST")],
    ids=["amount", "order"],
)
async def test_a_mismatched_confirm_is_rejected_and_leaves_the_payment_open(
    fake_toss: FakeToss, provider: PaymentProvider, order_id: str, amount: int, toss_code: str
) -> None:
    checkout = fake_toss.authenticate("award-2-a1", 150_000)

    with pytest.raises(PaymentRejected) as caught:
        await provider.confirm(checkout.payment_key, order_id, amount, "confirm:bad")

    assert caught.value.toss_code == toss_code
    assert caught.value.code == "PAYMENT_REJECTED"
    assert (await provider.by_key(checkout.payment_key)).status is PaymentStatus.IN_PROGRESS
    paid = await provider.confirm(checkout.payment_key, "award-2-a1", 150_000, "confirm:good")
    assert paid.status is PaymentStatus.DONE


async def test_confirming_twice_replays_under_the_same_key_and_is_refused_under_another(
    fake_toss: FakeToss, provider: PaymentProvider
) -> None:
    checkout = fake_toss.authenticate("award-3-a1", 80_000)

    first = await provider.confirm(checkout.payment_key, "award-3-a1", 80_000, "confirm:award-3-a1")
    again = await provider.confirm(checkout.payment_key, "award-3-a1", 80_000, "confirm:award-3-a1")

    assert again == first
    assert [r.replayed for r in fake_toss.requests if r.path == CONFIRM] == [False, True]
    with pytest.raises(PaymentAlreadyProcessed) as caught:
        await provider.confirm(checkout.payment_key, "award-3-a1", 80_000, "confirm:another-key")
    assert caught.value.toss_code == "ALREADY_PROCESSED_PAYMENT"


async def test_a_5xx_is_retried_with_the_same_idempotency_key(
    fake_toss: FakeToss, provider: PaymentProvider
) -> None:
    checkout = fake_toss.authenticate("award-4-a1", 10_000)
    fake_toss.add_fault(Fault(code="FAILED_INTERNAL_SYSTEM_PROCESSING", path=CONFIRM))

    paid = await provider.confirm(checkout.payment_key, "award-4-a1", 10_000, "confirm:award-4-a1")

    assert paid.status is PaymentStatus.DONE
    assert confirms(fake_toss) == [("confirm:award-4-a1", 500), ("confirm:award-4-a1", 200)]


async def test_a_5xx_on_every_try_gives_up_with_an_unknown_outcome(
    fake_toss: FakeToss, provider: PaymentProvider
) -> None:
    checkout = fake_toss.authenticate("award-5-a1", 10_000)
    fake_toss.add_fault(Fault(code="FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", path=CONFIRM, times=None))

    with pytest.raises(ProviderUnavailable) as caught:
        await provider.confirm(checkout.payment_key, "award-5-a1", 10_000, "confirm:award-5-a1")

    assert caught.value.outcome_unknown
    assert caught.value.toss_code == "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING"
    assert confirms(fake_toss) == [("confirm:award-5-a1", 500)] * 3


async def test_a_timeout_is_retried_with_the_same_key_then_reported_unavailable(
    fake_toss: FakeToss, make_provider: Make
) -> None:
    checkout = fake_toss.authenticate("award-6-a1", 10_000)
    # Every confirm hangs before it reaches "Toss"; the adapter's short read timeout gives up each time.
    fake_toss.add_fault(Fault(hold=True, stage="network", path=CONFIRM, times=None))
    provider = make_provider(timeouts=TossTimeouts(post_read=0.2))

    with pytest.raises(ProviderUnavailable) as caught:
        await provider.confirm(checkout.payment_key, "award-6-a1", 10_000, "confirm:award-6-a1")

    assert type(caught.value) is ProviderUnavailable
    assert caught.value.outcome_unknown
    assert isinstance(caught.value.__cause__, Exception)
    assert [key for key, _ in confirms(fake_toss)] == ["confirm:award-6-a1"] * 3
    assert (await provider.by_key(checkout.payment_key)).status is PaymentStatus.IN_PROGRESS


async def test_a_duplicate_while_toss_is_busy_gets_the_in_flight_answer_then_the_replay(
    fake_toss: FakeToss, provider: PaymentProvider, make_provider: Make, eventually: Any
) -> None:
    checkout = fake_toss.authenticate("award-7-a1", 10_000)
    fake_toss.add_fault(Fault(hold=True, stage="processing", path=CONFIRM))
    first = asyncio.create_task(
        provider.confirm(checkout.payment_key, "award-7-a1", 10_000, "confirm:award-7-a1")
    )
    await eventually(lambda: fake_toss.held == 1)

    with pytest.raises(ProviderInFlight) as caught:
        await make_provider(attempts=2).confirm(
            checkout.payment_key, "award-7-a1", 10_000, "confirm:award-7-a1"
        )
    assert caught.value.outcome_unknown
    assert caught.value.toss_code == "IDEMPOTENT_REQUEST_PROCESSING"

    fake_toss.release_held()
    paid = await first
    replay = await provider.confirm(checkout.payment_key, "award-7-a1", 10_000, "confirm:award-7-a1")
    assert paid.status is PaymentStatus.DONE
    assert replay == paid
    assert [status for _, status in confirms(fake_toss)] == [200, 409, 409, 200]  # in arrival order


async def test_a_declined_card_is_rejected_with_tosss_code_and_not_retried(
    fake_toss: FakeToss, provider: PaymentProvider, make_provider: Make
) -> None:
    checkout = fake_toss.authenticate("award-8-a1", 3_000_000)
    declining = make_provider(headers={"TossPayments-Test-Code": "REJECT_CARD_COMPANY"})

    with pytest.raises(PaymentRejected) as caught:
        await declining.confirm(checkout.payment_key, "award-8-a1", 3_000_000, "confirm:award-8-a1")

    assert caught.value.toss_code == "REJECT_CARD_COMPANY"
    assert caught.value.extra == {"tossCode": "REJECT_CARD_COMPANY"}
    assert len(confirms(fake_toss)) == 1
    aborted = await provider.by_key(checkout.payment_key)
    assert aborted.status is PaymentStatus.ABORTED
    assert aborted.failure is not None
    assert aborted.failure.code == "REJECT_CARD_COMPANY"


async def test_confirm_inside_the_ten_minute_window_succeeds(
    fake_toss: FakeToss, provider: PaymentProvider
) -> None:
    checkout = fake_toss.authenticate("award-9-a1", 10_000)
    fake_toss.advance(timedelta(minutes=9, seconds=59))

    paid = await provider.confirm(checkout.payment_key, "award-9-a1", 10_000, "confirm:award-9-a1")

    assert paid.status is PaymentStatus.DONE


async def test_confirm_after_the_ten_minute_window_finds_the_session_gone(
    fake_toss: FakeToss, provider: PaymentProvider
) -> None:
    checkout = fake_toss.authenticate("award-10-a1", 10_000)
    fake_toss.advance(timedelta(minutes=10))

    with pytest.raises(PaymentSessionExpired) as caught:
        await provider.confirm(checkout.payment_key, "award-10-a1", 10_000, "confirm:award-10-a1")

    assert caught.value.toss_code == "NOT_FOUND_PAYMENT_SESSION"
    expired = await provider.by_order("award-10-a1")
    assert expired.status is PaymentStatus.EXPIRED
    assert (expired.approved_at, expired.method) == (None, None)
    assert expired.failure is not None
    assert expired.failure.code == "EXPIRED_PAYMENT"


async def test_a_full_cancel_returns_everything_once(fake_toss: FakeToss, provider: PaymentProvider) -> None:
    checkout = fake_toss.authenticate("award-11-a1", 120_000)
    await provider.confirm(checkout.payment_key, "award-11-a1", 120_000, "confirm:award-11-a1")

    canceled = await provider.cancel(checkout.payment_key, "buyer withdrew", "cancel:award-11-a1:1")

    assert canceled.status is PaymentStatus.CANCELED
    assert (canceled.total_amount, canceled.balance_amount, canceled.canceled_amount) == (120_000, 0, 120_000)
    assert [(c.amount, c.reason, c.status) for c in canceled.cancels] == [(120_000, "buyer withdrew", "DONE")]
    assert canceled.last_transaction_key == canceled.cancels[0].transaction_key
    assert await provider.cancel(checkout.payment_key, "buyer withdrew", "cancel:award-11-a1:1") == canceled
    with pytest.raises(PaymentAlreadyCanceled) as caught:
        await provider.cancel(checkout.payment_key, "buyer withdrew", "cancel:award-11-a1:2")
    assert caught.value.toss_code == "ALREADY_CANCELED_PAYMENT"


async def test_a_partial_cancel_leaves_a_balance_and_refuses_more_than_it(
    fake_toss: FakeToss, provider: PaymentProvider
) -> None:
    checkout = fake_toss.authenticate("award-12-a1", 120_000)
    await provider.confirm(checkout.payment_key, "award-12-a1", 120_000, "confirm:award-12-a1")

    partial = await provider.cancel(checkout.payment_key, "chipped", "cancel:award-12-a1:1", amount=20_000)

    assert partial.status is PaymentStatus.PARTIAL_CANCELED
    assert partial.balance_amount == 100_000
    with pytest.raises(CancelRejected) as caught:
        await provider.cancel(checkout.payment_key, "chipped", "cancel:award-12-a1:2", amount=100_001)
    assert caught.value.toss_code == "NOT_CANCELABLE_AMOUNT"


async def test_a_wrong_secret_key_is_an_unavailable_provider_not_retried(
    fake_toss: FakeToss, make_provider: Make
) -> None:
    wrong = make_provider(secret_key="test_sk_not_ours")

    with pytest.raises(ProviderAuthFailed) as caught:
        await wrong.by_order("award-13-a1")

    assert caught.value.toss_code == "UNAUTHORIZED_KEY"
    assert caught.value.code == "UNAVAILABLE"
    assert [r.status for r in fake_toss.requests] == [401]


async def test_the_secret_key_never_reaches_logs_or_reprs(
    fake_toss: FakeToss, make_provider: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = fake_toss.secret_key
    encoded = base64.b64encode(f"{secret}:".encode()).decode()
    provider = make_provider()
    checkout = fake_toss.authenticate("award-14-a1", 10_000)
    fake_toss.add_fault(Fault(code="FAILED_INTERNAL_SYSTEM_PROCESSING", path=CONFIRM))

    await provider.confirm(checkout.payment_key, "award-14-a1", 10_000, "confirm:award-14-a1")
    with pytest.raises(ProviderAuthFailed) as caught:
        await make_provider(secret_key=secret + "x").by_key(checkout.payment_key)

    assert "retrying with the same idempotency key" in caplog.text  # the capture saw the adapter's lines
    assert "HTTP Request" in caplog.text  # ... and httpx's own
    shown = [
        caplog.text,
        repr(provider),
        str(provider),
        repr(vars(provider) if hasattr(provider, "__dict__") else ""),
    ]
    shown += [repr(caught.value), str(caught.value), repr(caught.value.extra)]
    for text in shown:
        assert secret not in text
        assert encoded not in text
        assert encoded.rstrip("=") not in text
    assert "<hidden>" in repr(provider)


async def test_a_webhook_is_delivered_and_retried_until_answered_200(
    fake_toss: FakeToss, provider: PaymentProvider, receiver: Any, eventually: Any
) -> None:
    # 500 and 204 are both failures: Toss wants exactly 200.
    receiver.script = [500, 204]
    fake_toss.configure_webhooks(url=receiver.url, retry_delays=(0.01, 0.01, 0.01))
    checkout = fake_toss.authenticate("award-15-a1", 10_000)

    await provider.confirm(checkout.payment_key, "award-15-a1", 10_000, "confirm:award-15-a1")

    await eventually(lambda: len(receiver.received) == 3)
    notices = [parse_webhook(body, headers) for headers, body in receiver.received]
    assert {n.transmission_id for n in notices} == {fake_toss.webhooks[0].transmission_id}
    assert [n.retried_count for n in notices] == [0, 1, 2]
    assert {(n.event_type, n.payment_key, n.status) for n in notices} == {
        ("PAYMENT_STATUS_CHANGED", checkout.payment_key, PaymentStatus.DONE)
    }
    headers = receiver.received[0][0]
    assert headers["content-type"] == "application/json"
    assert "tosspayments-webhook-signature" not in headers
    assert headers["tosspayments-webhook-transmission-time"].endswith("+09:00")
    body = msgspec.json.decode(receiver.received[0][1])
    assert body["data"]["totalAmount"] == 10_000
    await eventually(lambda: fake_toss.webhooks[0].delivered)
    assert [a.status for a in fake_toss.webhooks[0].attempts] == [500, 204, 200]
    # The handler's check: read the payment back with our key rather than trusting the body.
    assert (await provider.by_key(notices[-1].payment_key or "")).status is PaymentStatus.DONE


async def test_webhooks_may_arrive_out_of_order_and_twice(
    fake_toss: FakeToss, provider: PaymentProvider, receiver: Any, eventually: Any
) -> None:
    fake_toss.configure_webhooks(url=receiver.url)
    fake_toss.pause_webhooks()
    checkout = fake_toss.authenticate("award-16-a1", 10_000)
    await provider.confirm(checkout.payment_key, "award-16-a1", 10_000, "confirm:award-16-a1")
    await provider.cancel(checkout.payment_key, "seller cancelled", "cancel:award-16-a1:1")
    done, canceled = fake_toss.webhooks
    assert (done.payment_status, canceled.payment_status) == ("DONE", "CANCELED")

    fake_toss.flush_webhooks(reverse=True)
    await eventually(lambda: len(receiver.received) == 2)
    fake_toss.redeliver(done.transmission_id)
    await eventually(lambda: len(receiver.received) == 3)

    notices = [parse_webhook(body, headers) for headers, body in receiver.received]
    assert [(n.status, n.transmission_id) for n in notices] == [
        (PaymentStatus.CANCELED, canceled.transmission_id),
        (PaymentStatus.DONE, done.transmission_id),
        (PaymentStatus.DONE, done.transmission_id),
    ]
    # Whatever order the notices came in, reading back gives the truth.
    assert (await provider.by_key(checkout.payment_key)).status is PaymentStatus.CANCELED
