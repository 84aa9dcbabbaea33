"""The fake Toss server keeps the contract of TOSS.md, spoken to as raw HTTP (as any client would)."""

import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sagopalgo.payments.adapters.fake_toss import FakeToss, Fault, TossError

CONFIRM = "/v1/payments/confirm"


def basic(value: str, *, pad: bool = True) -> dict[str, str]:
    token = base64.b64encode(value.encode()).decode()
    return {"Authorization": f"Basic {token if pad else token.rstrip('=')}"}


@pytest.fixture
async def http(fake_toss: FakeToss) -> AsyncIterator[httpx.AsyncClient]:
    assert fake_toss.base_url is not None
    async with httpx.AsyncClient(
        base_url=fake_toss.base_url, headers=basic(f"{fake_toss.secret_key}:")
    ) as client:
        yield client


async def confirm(http: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await http.post(CONFIRM, json=body, headers=headers)


# ------------------------------------------------------------------ auth
@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "UNAUTHORIZED_KEY"),
        (basic("test_sk_someone_else:"), 401, "UNAUTHORIZED_KEY"),
        (basic("\ufefftest_sk_sagopalgo_fake_0000000000:"), 401, "UNAUTHORIZED_KEY"),
        (basic("test_sk_sagopalgo_fake_0000000000"), 403, "INCORRECT_BASIC_AUTH_FORMAT"),
        ({"Authorization": "Bearer test_sk_sagopalgo_fake_0000000000"}, 403, "INCORRECT_BASIC_AUTH_FORMAT"),
        ({"Authorization": "Basic !!!not-base64!!!"}, 403, "INCORRECT_BASIC_AUTH_FORMAT"),
    ],
    ids=["missing", "other-key", "bom", "no-colon", "bearer", "garbage"],
)
async def test_auth_failures_answer_in_tosss_shape(
    fake_toss: FakeToss, headers: dict[str, str], status: int, code: str
) -> None:
    async with httpx.AsyncClient(base_url=fake_toss.base_url or "") as client:
        response = await client.get("/v1/payments/orders/award-1-a1", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["message"]


async def test_the_401_body_carries_data_null(fake_toss: FakeToss) -> None:
    async with httpx.AsyncClient(base_url=fake_toss.base_url or "") as client:
        response = await client.get("/v1/payments/x", headers=basic("test_sk_other:"))
    assert response.json() == {
        "code": "UNAUTHORIZED_KEY",
        "message": response.json()["message"],
        "data": None,
    }


async def test_unpadded_basic_credentials_are_accepted(fake_toss: FakeToss) -> None:
    secret = fake_toss.secret_key + "x"  # a length whose base64 needs padding
    fake = FakeToss(secret_key=secret)
    assert base64.b64encode(f"{secret}:".encode()).decode().endswith("=")
    with fake.running() as url:
        async with httpx.AsyncClient(base_url=url, headers=basic(f"{secret}:", pad=False)) as client:
            response = await client.get("/v1/payments/orders/award-1-a1")
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND_PAYMENT")


# ------------------------------------------------------------------ confirm
async def test_confirm_takes_the_amount_as_a_numeric_string(
    fake_toss: FakeToss, http: httpx.AsyncClient
) -> None:
    checkout = fake_toss.authenticate("award-2-a1", 50_000, "Brass lamp")

    response = await confirm(
        http, {"paymentKey": checkout.payment_key, "orderId": "award-2-a1", "amount": "50000"}
    )

    assert response.status_code == 200
    payment = response.json()
    assert (payment["status"], payment["totalAmount"], payment["version"]) == ("DONE", 50_000, "2022-11-16")
    assert payment["approvedAt"].endswith("+09:00")
    assert payment["card"]["amount"] == 50_000
    assert payment["virtualAccount"] is None
    assert payment["cancels"] is None
    assert payment["lastTransactionKey"]


@pytest.mark.parametrize(
    "body",
    [
        {"orderId": "award-3-a1", "amount": 1000},
        {"paymentKey": "k", "orderId": "short", "amount": 1000},
        {"paymentKey": "k", "orderId": "award 3 a1", "amount": 1000},
        {"paymentKey": "k", "orderId": "award-3-a1", "amount": -5},
        {"paymentKey": "k", "orderId": "award-3-a1", "amount": "12.5"},
        {"paymentKey": "k", "orderId": "award-3-a1", "amount": True},
    ],
    ids=["no-key", "short-order", "space-in-order", "negative", "decimal-string", "bool"],
)
async def test_a_malformed_confirm_is_an_invalid_request(
    http: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await confirm(http, body)
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_REQUEST")


async def test_confirm_of_an_unknown_key_is_not_found(http: httpx.AsyncClient) -> None:
    response = await confirm(http, {"paymentKey": "tgen_nope", "orderId": "award-3-a1", "amount": 1000})
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND_PAYMENT")


async def test_english_answers_on_request(fake_toss: FakeToss, http: httpx.AsyncClient) -> None:
    checkout = fake_toss.authenticate("award-4-a1", 1000)
    body = {"paymentKey": checkout.payment_key, "orderId": "award-4-a1", "amount": 1000}
    refused = await confirm(http, body | {"amount": 999}, **{"Accept-Language": "en-US"})
    paid = await confirm(http, body, **{"Accept-Language": "en-US"})
    assert refused.json()["message"].isascii()
    assert paid.json()["method"] == "CARD"


# ------------------------------------------------------------------ idempotency
async def test_a_key_replays_the_first_answer_whatever_the_body(
    fake_toss: FakeToss, http: httpx.AsyncClient
) -> None:
    first = fake_toss.authenticate("award-5-a1", 1000)
    second = fake_toss.authenticate("award-5-a2", 2000)
    paid = await confirm(
        http,
        {"paymentKey": first.payment_key, "orderId": "award-5-a1", "amount": 1000},
        **{"Idempotency-Key": "k"},
    )

    # The bug class TOSS.md §4 warns of: one key reused for another payment approves nothing.
    replay = await confirm(
        http,
        {"paymentKey": second.payment_key, "orderId": "award-5-a2", "amount": 2000},
        **{"Idempotency-Key": "k"},
    )

    assert replay.content == paid.content
    assert (await http.get(f"/v1/payments/{second.payment_key}")).json()["status"] == "IN_PROGRESS"


async def test_the_key_is_scoped_to_the_path(fake_toss: FakeToss, http: httpx.AsyncClient) -> None:
    checkout = fake_toss.authenticate("award-6-a1", 1000)
    body = {"paymentKey": checkout.payment_key, "orderId": "award-6-a1", "amount": 1000}
    await confirm(http, body, **{"Idempotency-Key": "same"})

    canceled = await http.post(
        f"/v1/payments/{checkout.payment_key}/cancel",
        json={"cancelReason": "x"},
        headers={"Idempotency-Key": "same"},
    )

    assert canceled.json()["status"] == "CANCELED"


async def test_a_failed_answer_is_replayed_too(fake_toss: FakeToss, http: httpx.AsyncClient) -> None:
    checkout = fake_toss.authenticate("award-7-a1", 1000)
    body = {"paymentKey": checkout.payment_key, "orderId": "award-7-a1", "amount": 1001}
    refused = await confirm(http, body, **{"Idempotency-Key": "k7"})
    again = await confirm(http, body | {"amount": 1000}, **{"Idempotency-Key": "k7"})
    assert (refused.status_code, again.content) == (400, refused.content)


async def test_replaying_failures_is_configurable() -> None:
    fake = FakeToss(replay_failures="none")
    with fake.running() as url:
        checkout = fake.authenticate("award-8-a1", 1000)
        async with httpx.AsyncClient(base_url=url, headers=basic(f"{fake.secret_key}:")) as client:
            body = {"paymentKey": checkout.payment_key, "orderId": "award-8-a1", "amount": 1001}
            refused = await confirm(client, body, **{"Idempotency-Key": "k8"})
            paid = await confirm(client, body | {"amount": 1000}, **{"Idempotency-Key": "k8"})
    assert (refused.status_code, paid.status_code) == (400, 200)


async def test_a_key_expires_after_fifteen_days(fake_toss: FakeToss, http: httpx.AsyncClient) -> None:
    checkout = fake_toss.authenticate("award-9-a1", 1000)
    body = {"paymentKey": checkout.payment_key, "orderId": "award-9-a1", "amount": 1000}
    assert (await confirm(http, body, **{"Idempotency-Key": "k9"})).status_code == 200
    fake_toss.advance(timedelta(days=15))
    again = await confirm(http, body, **{"Idempotency-Key": "k9"})
    assert again.json()["code"] == "ALREADY_PROCESSED_PAYMENT"


async def test_an_over_long_key_is_refused(http: httpx.AsyncClient) -> None:
    response = await confirm(http, {}, **{"Idempotency-Key": "k" * 301})
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_IDEMPOTENCY_KEY")


# ------------------------------------------------------------------ test codes and faults
async def test_the_test_code_header_forces_any_error(http: httpx.AsyncClient) -> None:
    for code, status in [
        ("PROVIDER_ERROR", 400),
        ("NOT_FOUND_PAYMENT", 404),
        ("COMMON_ERROR", 500),
        ("MADE_UP", 400),
    ]:
        response = await http.get("/v1/payments/anything", headers={"TossPayments-Test-Code": code})
        assert (response.status_code, response.json()["code"]) == (status, code)


async def test_a_live_key_ignores_the_test_code() -> None:
    fake = FakeToss(secret_key="live_sk_sagopalgo_fake")
    with fake.running() as url:
        async with httpx.AsyncClient(base_url=url, headers=basic("live_sk_sagopalgo_fake:")) as client:
            response = await client.get("/v1/payments/x", headers={"TossPayments-Test-Code": "COMMON_ERROR"})
    assert response.json()["code"] == "NOT_FOUND_PAYMENT"


async def test_faults_are_counted_and_scoped(http: httpx.AsyncClient, fake_toss: FakeToss) -> None:
    fake_toss.add_fault(Fault(code="COMMON_ERROR", times=2, method="GET", path="/v1/payments/orders/"))
    statuses = [(await http.get("/v1/payments/orders/award-10-a1")).status_code for _ in range(3)]
    other = await http.get("/v1/payments/some-key")
    assert statuses == [500, 500, 404]
    assert other.json()["code"] == "NOT_FOUND_PAYMENT"


# ------------------------------------------------------------------ lookups and windows
async def test_lookup_by_order_gives_the_latest_attempt(fake_toss: FakeToss, http: httpx.AsyncClient) -> None:
    first = fake_toss.authenticate("award-11-a1", 1000)
    fake_toss.advance(timedelta(minutes=11))
    second = fake_toss.authenticate("award-11-a1", 1000)
    latest = (await http.get("/v1/payments/orders/award-11-a1")).json()
    expired = (await http.get(f"/v1/payments/{first.payment_key}")).json()
    assert (latest["paymentKey"], latest["status"]) == (second.payment_key, "IN_PROGRESS")
    assert (expired["status"], expired["failure"]["code"], expired["method"]) == (
        "EXPIRED",
        "EXPIRED_PAYMENT",
        None,
    )


async def test_an_unauthenticated_checkout_expires_after_thirty_minutes(fake_toss: FakeToss) -> None:
    key = fake_toss.open_checkout("award-12-a1", 1000)
    fake_toss.advance(timedelta(minutes=29))
    fake_toss.authenticate("award-12-a1", 1000, payment_key=key)  # still in time
    late = fake_toss.open_checkout("award-12-a2", 1000)
    fake_toss.advance(timedelta(minutes=30))
    with pytest.raises(TossError) as caught:
        fake_toss.authenticate("award-12-a2", 1000, payment_key=late)
    assert caught.value.code == "NOT_FOUND_PAYMENT_SESSION"


async def test_an_order_paid_already_cannot_be_checked_out_again(
    fake_toss: FakeToss, http: httpx.AsyncClient
) -> None:
    checkout = fake_toss.authenticate("award-13-a1", 1000)
    await confirm(http, {"paymentKey": checkout.payment_key, "orderId": "award-13-a1", "amount": 1000})
    with pytest.raises(TossError) as caught:
        fake_toss.authenticate("award-13-a1", 1000)
    assert caught.value.code == "DUPLICATED_ORDER_ID"


# ------------------------------------------------------------------ cancel
@pytest.fixture
async def paid(fake_toss: FakeToss, http: httpx.AsyncClient) -> str:
    checkout = fake_toss.authenticate("award-14-a1", 30_000)
    response = await confirm(
        http, {"paymentKey": checkout.payment_key, "orderId": "award-14-a1", "amount": 30_000}
    )
    assert response.status_code == 200
    return checkout.payment_key


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "INVALID_REQUEST"),
        ({"cancelReason": "   "}, 400, "INVALID_REQUEST"),
        ({"cancelReason": "r" * 201}, 400, "INVALID_REQUEST"),
        ({"cancelReason": "r", "refundableAmount": 29_999}, 400, "NOT_MATCHES_REFUNDABLE_AMOUNT"),
        ({"cancelReason": "r", "cancelAmount": 30_001}, 403, "NOT_CANCELABLE_AMOUNT"),
        ({"cancelReason": "r", "cancelAmount": 0}, 400, "INVALID_REQUEST"),
    ],
    ids=["no-reason", "blank-reason", "long-reason", "refundable-guard", "over-balance", "zero"],
)
async def test_cancel_refusals(
    http: httpx.AsyncClient, paid: str, body: dict[str, Any], status: int, code: str
) -> None:
    response = await http.post(f"/v1/payments/{paid}/cancel", json=body)
    assert (response.status_code, response.json()["code"]) == (status, code)


async def test_partial_cancels_down_to_zero_end_canceled(http: httpx.AsyncClient, paid: str) -> None:
    first = (
        await http.post(
            f"/v1/payments/{paid}/cancel",
            json={"cancelReason": "a", "cancelAmount": 10_000, "refundableAmount": 30_000},
        )
    ).json()
    second = (
        await http.post(f"/v1/payments/{paid}/cancel", json={"cancelReason": "b", "cancelAmount": "20000"})
    ).json()
    assert (first["status"], first["balanceAmount"]) == ("PARTIAL_CANCELED", 20_000)
    assert (second["status"], second["balanceAmount"], second["totalAmount"]) == ("CANCELED", 0, 30_000)
    assert [c["refundableAmount"] for c in second["cancels"]] == [20_000, 0]
    assert second["lastTransactionKey"] == second["cancels"][1]["transactionKey"]
    assert (second["vat"], second["suppliedAmount"]) == (0, 0)


async def test_an_unconfirmed_payment_cannot_be_cancelled(
    fake_toss: FakeToss, http: httpx.AsyncClient
) -> None:
    checkout = fake_toss.authenticate("award-15-a1", 1000)
    response = await http.post(f"/v1/payments/{checkout.payment_key}/cancel", json={"cancelReason": "r"})
    assert (response.status_code, response.json()["code"]) == (403, "NOT_CANCELABLE_PAYMENT")


async def test_the_already_canceled_answer_is_configurable() -> None:
    fake = FakeToss(already_canceled_code="NOT_CANCELABLE_PAYMENT")
    with fake.running() as url:
        checkout = fake.authenticate("award-16-a1", 1000)
        async with httpx.AsyncClient(base_url=url, headers=basic(f"{fake.secret_key}:")) as client:
            await confirm(
                client, {"paymentKey": checkout.payment_key, "orderId": "award-16-a1", "amount": 1000}
            )
            for _ in range(2):
                response = await client.post(
                    f"/v1/payments/{checkout.payment_key}/cancel", json={"cancelReason": "r"}
                )
    assert (response.status_code, response.json()["code"]) == (403, "NOT_CANCELABLE_PAYMENT")


# ------------------------------------------------------------------ webhooks
async def test_expiry_and_abort_are_announced(fake_toss: FakeToss, http: httpx.AsyncClient) -> None:
    declined = fake_toss.authenticate("award-17-a1", 1000)
    await confirm(
        http,
        {"paymentKey": declined.payment_key, "orderId": "award-17-a1", "amount": 1000},
        **{"TossPayments-Test-Code": "REJECT_CARD_PAYMENT"},
    )
    fake_toss.authenticate("award-17-a2", 1000)
    fake_toss.advance(timedelta(minutes=10))
    assert [(w.event_type, w.payment_status) for w in fake_toss.webhooks] == [
        ("PAYMENT_STATUS_CHANGED", "ABORTED"),
        ("PAYMENT_STATUS_CHANGED", "EXPIRED"),
    ]
    assert fake_toss.webhooks[0].attempts == []  # no URL configured: nothing sent


# ------------------------------------------------------------------ the /_test endpoints over HTTP
async def test_the_test_endpoints_drive_a_whole_checkout(
    fake_toss: FakeToss, http: httpx.AsyncClient
) -> None:
    opened = (await http.post("/_test/authenticate", json={"orderId": "award-18-a1", "amount": 7000})).json()
    assert opened["successQuery"] == (
        f"paymentType=NORMAL&amount=7000&orderId=award-18-a1&paymentKey={opened['paymentKey']}"
    )
    failed = (
        await http.post("/_test/authenticate", json={"orderId": "award-18-a2", "amount": 7000, "fail": {}})
    ).json()
    assert (failed["code"], failed["orderId"]) == ("PAY_PROCESS_CANCELED", "award-18-a2")
    assert failed["failQuery"].startswith("code=PAY_PROCESS_CANCELED&message=")

    await http.post("/_test/faults", json={"code": "PROVIDER_ERROR", "path": CONFIRM})
    body = {"paymentKey": opened["paymentKey"], "orderId": "award-18-a1", "amount": 7000}
    assert (await confirm(http, body)).json()["code"] == "PROVIDER_ERROR"
    before = (await http.get("/_test/clock")).json()["now"]
    after = (await http.post("/_test/clock", json={"advanceSeconds": 600})).json()["now"]
    assert after > before
    assert (await confirm(http, body)).json()["code"] == "NOT_FOUND_PAYMENT_SESSION"

    log = (await http.get("/_test/requests")).json()
    assert [(r["path"], r["status"]) for r in log] == [(CONFIRM, 400), (CONFIRM, 404)]
    events = (await http.get("/_test/webhooks")).json()
    assert [e["status"] for e in events] == ["EXPIRED"]
    bad = await http.post("/_test/authenticate", json={"orderId": "x", "amount": 1})
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_REQUEST")


async def test_an_approved_payment_has_a_receipt_page(fake_toss: FakeToss, http: httpx.AsyncClient) -> None:
    checkout = fake_toss.authenticate("award-19-a1", 7000, "<b>Jar</b>")
    paid = (
        await confirm(http, {"paymentKey": checkout.payment_key, "orderId": "award-19-a1", "amount": 7000})
    ).json()
    page = await http.get(paid["receipt"]["url"])
    assert page.headers["content-type"].startswith("text/html")
    assert "7,000" in page.text
    assert "&lt;b&gt;Jar" in page.text
