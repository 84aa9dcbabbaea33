"""Toss's JSON to domain values, and Toss's error answers to domain errors (no network)."""

from datetime import datetime, timedelta, timezone

import msgspec
import pytest

from sagopalgo.kernel.clock import SEOUL
from sagopalgo.kernel.errors import DomainError
from sagopalgo.payments.adapters.toss import RetryPolicy, TossPaymentProvider, parse_webhook
from sagopalgo.payments.adapters.toss.errors import Operation, classify
from sagopalgo.payments.adapters.toss.wire import ErrorBody, decode_error, decode_payment
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
from sagopalgo.platform.http.problems import status_for

KST = timezone(timedelta(hours=9))

CANCELED = msgspec.json.encode(
    {
        "mId": "tosspayments",
        "version": "2022-11-16",
        "paymentKey": "5zJ4xY7m0kODnyRpQWGrN2xqGlNvLrKwv1M9ENjbeoPaZdL6",
        "lastTransactionKey": "txrd_b",
        "orderId": "award-42-a1",
        "orderName": "Celadon vase",
        "status": "PARTIAL_CANCELED",
        "requestedAt": "2026-11-25T18:01:02+09:00",
        "approvedAt": "2026-11-25T18:02:03+09:00",
        "useEscrow": False,
        "card": {"amount": 150000, "number": "43301234****123*", "someFutureField": 1},
        "virtualAccount": None,
        "cancels": [
            {
                "cancelAmount": 50000,
                "cancelReason": "damaged in transit",
                "canceledAt": "2026-11-26T09:00:00+09:00",
                "transactionKey": "txrd_b",
                "cancelStatus": "DONE",
                "refundableAmount": 100000,
                "receiptKey": None,
            }
        ],
        "totalAmount": 150000,
        "balanceAmount": 100000,
        "method": "카드",
        "currency": "KRW",
        "receipt": {"url": "https://dashboard.tosspayments.com/receipt/x"},
        "failure": None,
        "brandNewThing": {"a": [1]},
    }
)


def test_a_payment_is_read_leniently_into_domain_values() -> None:
    payment = decode_payment(CANCELED)
    assert payment.status is PaymentStatus.PARTIAL_CANCELED
    assert (payment.total_amount, payment.balance_amount, payment.canceled_amount) == (
        150_000,
        100_000,
        50_000,
    )
    assert payment.approved_at == datetime(2026, 11, 25, 18, 2, 3, tzinfo=KST)
    assert payment.receipt_url == "https://dashboard.tosspayments.com/receipt/x"
    assert payment.cancels[0].reason == "damaged in transit"
    assert payment.cancels[0].canceled_at.utcoffset() == timedelta(hours=9)
    assert payment.method == "카드"
    assert payment.failure is None


def test_an_expired_attempt_has_nulls_and_a_failure() -> None:
    raw = (
        b'{"paymentKey":"k","orderId":"order-1","status":"EXPIRED","totalAmount":1000,"balanceAmount":1000,'
        b'"method":null,"approvedAt":null,"cancels":null,"receipt":null,'
        b'"failure":{"code":"EXPIRED_PAYMENT","message":"expired"}}'
    )
    payment = decode_payment(raw)
    assert payment.status is PaymentStatus.EXPIRED
    assert payment.status.final
    assert not payment.status.approved
    assert (payment.cancels, payment.approved_at, payment.method) == ((), None, None)
    assert payment.failure is not None
    assert payment.failure.code == "EXPIRED_PAYMENT"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (CANCELED.replace(b'"PARTIAL_CANCELED"', b'"SOMETHING_NEW"'), ValueError),
        (CANCELED.replace(b"2026-11-25T18:02:03+09:00", b"2026-11-25T18:02:03"), msgspec.ValidationError),
        (CANCELED.replace(b'"totalAmount":150000', b'"totalAmount":"150000"'), msgspec.ValidationError),
        (b"<html>502</html>", msgspec.DecodeError),
    ],
    ids=["unknown-status", "naive-time", "string-amount", "not-json"],
)
def test_what_our_code_depends_on_is_read_strictly(raw: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_payment(raw)


def test_an_error_body_that_is_not_tosss_is_none() -> None:
    assert decode_error(b'{"code":"X","message":"m","data":null}') == ErrorBody("X", "m")
    assert decode_error(b"<html>Bad Gateway</html>") is None


def test_a_webhook_body_and_headers_become_a_notice() -> None:
    body = (
        b'{"eventType":"PAYMENT_STATUS_CHANGED","createdAt":"2026-11-25T18:02:04.123456",'
        b'"data":{"paymentKey":"pk","orderId":"award-42-a1","status":"DONE","totalAmount":1}}'
    )
    headers = {
        "Tosspayments-Webhook-Transmission-Id": "whtrans_1",
        "tosspayments-webhook-transmission-retried-count": "2",
    }
    notice = parse_webhook(body, headers)
    assert notice.event_type == "PAYMENT_STATUS_CHANGED"
    assert notice.created_at == datetime(2026, 11, 25, 18, 2, 4, 123456, tzinfo=SEOUL)
    assert (notice.payment_key, notice.order_id, notice.status) == ("pk", "award-42-a1", PaymentStatus.DONE)
    assert (notice.transmission_id, notice.retried_count) == ("whtrans_1", 2)


def test_a_deposit_callback_has_no_event_type_nor_data() -> None:
    body = (
        b'{"createdAt":"2026-11-25T18:02:04.000000","secret":"s","status":"DONE",'
        b'"transactionKey":"t","orderId":"o-1"}'
    )
    notice = parse_webhook(body)
    assert (notice.event_type, notice.order_id, notice.status, notice.payment_key) == (
        "DEPOSIT_CALLBACK",
        "o-1",
        PaymentStatus.DONE,
        None,
    )


@pytest.mark.parametrize(
    ("operation", "status", "code", "kind", "retry"),
    [
        ("confirm", 401, "UNAUTHORIZED_KEY", ProviderAuthFailed, False),
        ("lookup", 403, "INCORRECT_BASIC_AUTH_FORMAT", ProviderAuthFailed, False),
        ("confirm", 400, "INVALID_API_KEY", ProviderAuthFailed, False),
        ("confirm", 409, "IDEMPOTENT_REQUEST_PROCESSING", ProviderInFlight, True),
        ("confirm", 500, "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING", ProviderUnavailable, True),
        ("cancel", 500, "FAILED_REFUND_PROCESS", ProviderUnavailable, True),
        ("confirm", 400, "PROVIDER_ERROR", ProviderUnavailable, True),
        ("cancel", 403, "FORBIDDEN_CONSECUTIVE_REQUEST", ProviderUnavailable, True),
        ("lookup", 429, "TOO_MANY_REQUESTS", ProviderUnavailable, True),
        ("confirm", 404, "NOT_FOUND_PAYMENT_SESSION", PaymentSessionExpired, False),
        ("confirm", 404, "NOT_FOUND_PAYMENT", PaymentNotFound, False),
        ("lookup", 404, "NOT_FOUND", PaymentNotFound, False),
        ("confirm", 400, "ALREADY_PROCESSED_PAYMENT", PaymentAlreadyProcessed, False),
        ("confirm", 403, "REJECT_CARD_COMPANY", PaymentRejected, False),
        ("confirm", 400, "INVALID_REQUEST", PaymentRejected, False),
        ("confirm", 403, "FORBIDDEN_REQUEST", PaymentRejected, False),
        ("cancel", 400, "ALREADY_CANCELED_PAYMENT", PaymentAlreadyCanceled, False),
        ("cancel", 403, "NOT_CANCELABLE_AMOUNT", CancelRejected, False),
        ("cancel", 400, "NOT_MATCHES_REFUNDABLE_AMOUNT", CancelRejected, False),
        ("lookup", 400, "NOT_SUPPORTED_MONTHLY_INSTALLMENT_PLAN_BELOW_AMOUNT", ProviderUnavailable, False),
    ],
)
def test_every_documented_answer_maps_to_a_domain_error(
    operation: Operation, status: int, code: str, kind: type[DomainError], retry: bool
) -> None:
    verdict = classify(operation, status, ErrorBody(code, "Toss says no"))
    assert type(verdict.error) is kind
    assert verdict.retry is retry
    if isinstance(verdict.error, PaymentRejected | CancelRejected | PaymentAlreadyProcessed):
        assert verdict.error.extra == {"tossCode": code}
        assert verdict.error.message == "Toss says no"


def test_a_5xx_without_tosss_body_is_unavailable_with_an_unknown_outcome() -> None:
    verdict = classify("confirm", 502, None)
    assert isinstance(verdict.error, ProviderUnavailable)
    assert verdict.error.outcome_unknown
    assert verdict.retry
    assert verdict.error.code == "UNAVAILABLE"


def test_rejections_keep_the_problem_code_of_the_api() -> None:
    rejected = PaymentRejected("REJECT_CARD_COMPANY", "declined")
    assert (rejected.code, rejected.toss_code, rejected.extra) == (
        "PAYMENT_REJECTED",
        "REJECT_CARD_COMPANY",
        {"tossCode": "REJECT_CARD_COMPANY"},
    )
    # API.md: Toss's refusal is a 402; an expired checkout is one too.
    assert status_for(rejected) == 402
    assert status_for(PaymentSessionExpired("NOT_FOUND_PAYMENT_SESSION", "late")) == 402
    assert status_for(CancelRejected("NOT_CANCELABLE_AMOUNT", "no")) == 422


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"idempotency_key": ""}, "idempotency key"),
        ({"idempotency_key": "k" * 301}, "idempotency key"),
        ({"amount": 0}, "amount"),
        ({"amount": True}, "amount"),
    ],
)
async def test_the_adapter_refuses_malformed_calls_before_sending(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "payment_key": "pk",
        "order_id": "order-1",
        "amount": 1000,
        "idempotency_key": "k",
    }
    async with TossPaymentProvider("test_sk_x", base_url="http://127.0.0.1:9") as provider:
        with pytest.raises(ValueError, match=message):
            await provider.confirm(**(args | kwargs))  # type: ignore[arg-type]


def test_a_live_key_is_never_sent_over_plain_http() -> None:
    with pytest.raises(ValueError, match="HTTPS"):
        TossPaymentProvider("live_sk_abc", base_url="http://api.example")


def test_retry_policy_bounds() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=3.0)
    assert 0.5 <= policy.delay(1) <= 1.0
    assert 1.5 <= policy.delay(4) <= 3.0
