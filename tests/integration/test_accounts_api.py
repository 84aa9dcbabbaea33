"""Accounts over HTTP, on the embedded deployment and on MariaDB + Redis."""

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from litestar.testing import AsyncTestClient

from sagopalgo.kernel.clock import ManualClock
from tests.conftest import JWT_SECRET, ApiFactory
from tests.integration.helpers import (
    PASSWORD,
    account_rows,
    assert_problem,
    bearer,
    new_identity,
    sign_up_and_in,
)


async def test_the_new_user_walk(api: AsyncTestClient[Any]) -> None:
    ident = new_identity()
    created = await api.post("/api/v1/accounts", json=ident)
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "email": ident["email"],
        "username": ident["username"],
    }

    signed_in = await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
    assert signed_in.status_code == 200
    pair = signed_in.json()
    assert pair["tokenType"] == "Bearer"
    assert 0 < pair["expiresIn"] <= 900

    me = await api.get("/api/v1/me", headers=bearer(pair["accessToken"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": created.json()["id"],
        "email": ident["email"],
        "username": ident["username"],
        "roles": ["user"],
    }

    refreshed = await api.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    assert refreshed.status_code == 200
    new_pair = refreshed.json()
    assert new_pair["refreshToken"] != pair["refreshToken"]
    assert (await api.get("/api/v1/me", headers=bearer(new_pair["accessToken"]))).status_code == 200

    reused = await api.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    assert_problem(reused, 401, "REFRESH_TOKEN_REUSED")
    # Reuse ended the session: the newest tokens are dead too.
    assert_problem(
        await api.get("/api/v1/me", headers=bearer(new_pair["accessToken"])), 401, "UNAUTHENTICATED"
    )
    assert_problem(
        await api.post("/api/v1/auth/refresh", json={"refreshToken": new_pair["refreshToken"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )

    again = (
        await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
    ).json()
    out = await api.post(
        "/api/v1/auth/logout",
        json={"refreshToken": again["refreshToken"]},
        headers=bearer(again["accessToken"]),
    )
    assert out.status_code == 204
    assert_problem(await api.get("/api/v1/me", headers=bearer(again["accessToken"])), 401, "UNAUTHENTICATED")
    assert_problem(
        await api.post("/api/v1/auth/refresh", json={"refreshToken": again["refreshToken"]}),
        401,
        "INVALID_REFRESH_TOKEN",
    )


async def test_duplicate_email_or_username_is_a_409_and_stores_nothing(api: AsyncTestClient[Any]) -> None:
    ident, _ = await sign_up_and_in(api)
    before = await account_rows(api)
    same_email = {**new_identity(), "email": ident["email"].upper()}
    assert_problem(await api.post("/api/v1/accounts", json=same_email), 409, "EMAIL_TAKEN")
    same_name = {**new_identity(), "username": ident["username"].upper()}
    assert_problem(await api.post("/api/v1/accounts", json=same_name), 409, "USERNAME_TAKEN")
    assert await account_rows(api) == before


_BAD_SIGN_UPS = [
    ({"email": "not-an-email"}, "email"),
    ({"email": ""}, "email"),
    ({"email": 42}, "email"),
    ({"username": "k"}, "username"),
    ({"username": "x" * 31}, "username"),
    ({"username": "<b>hi</b>"}, "username"),
    ({"username": None}, "username"),
    ({"password": "short"}, "password"),
    ({"password": 1234567890}, "password"),
    ({"password": "p" * 2000}, "password"),
    ({"extra": "field"}, "extra"),
]


@pytest.mark.parametrize(("change", "field"), _BAD_SIGN_UPS)
async def test_bad_sign_ups_name_the_field_and_store_nothing(
    api: AsyncTestClient[Any], change: dict[str, Any], field: str
) -> None:
    before = await account_rows(api)
    body = {**new_identity(), **change}
    problem = assert_problem(await api.post("/api/v1/accounts", json=body), 400, "VALIDATION_FAILED")
    assert any(field in e["field"] for e in problem["errors"]), problem
    assert await account_rows(api) == before


@pytest.mark.parametrize("missing", ["email", "username", "password"])
async def test_missing_fields_are_named(api: AsyncTestClient[Any], missing: str) -> None:
    body = new_identity()
    del body[missing]
    problem = assert_problem(await api.post("/api/v1/accounts", json=body), 400, "VALIDATION_FAILED")
    assert missing in json.dumps(problem["errors"])


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (b"{not json", "application/json"),
        (b"[]", "application/json"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b'"text"', "application/json"),
    ],
)
async def test_malformed_bodies_are_400(api: AsyncTestClient[Any], content: bytes, ctype: str) -> None:
    before = await account_rows(api)
    response = await api.post("/api/v1/accounts", content=content, headers={"content-type": ctype})
    assert_problem(response, 400, "VALIDATION_FAILED")
    assert await account_rows(api) == before


async def test_a_2_mb_body_is_413_and_changes_nothing(api: AsyncTestClient[Any]) -> None:
    before = await account_rows(api)
    big = json.dumps({**new_identity(), "password": "x" * (2 * 1024 * 1024)}).encode()
    response = await api.post("/api/v1/accounts", content=big, headers={"content-type": "application/json"})
    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")
    assert await account_rows(api) == before


async def test_wrong_password_and_unknown_email_look_the_same(api: AsyncTestClient[Any]) -> None:
    ident, _ = await sign_up_and_in(api)
    wrong = await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD + "!"})
    unknown = await api.post("/api/v1/auth/token", json={"email": "ghost@example.com", "password": PASSWORD})
    a = assert_problem(wrong, 401, "INVALID_CREDENTIALS")
    b = assert_problem(unknown, 401, "INVALID_CREDENTIALS")
    assert a["detail"] == b["detail"]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_expired_tampered_and_unsigned_tokens_are_refused(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    _, pair = await sign_up_and_in(api)
    token = pair["accessToken"]
    assert (await api.get("/api/v1/me", headers=bearer(token))).status_code == 200

    header_b64, payload_b64, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    tampered = ".".join([header_b64, _b64({**payload, "sub": str(int(payload["sub"]) + 1)}), signature])
    alg_none = ".".join([_b64({"alg": "none", "typ": "JWT"}), payload_b64, ""])
    other_key = jwt.encode(payload, "another-secret-another-secret-0123456789", algorithm="HS256")
    wrong_audience = jwt.encode({**payload, "aud": "someone-else"}, JWT_SECRET, algorithm="HS256")
    no_session = jwt.encode({k: v for k, v in payload.items() if k != "sid"}, JWT_SECRET, algorithm="HS256")
    for bad in [tampered, alg_none, other_key, wrong_audience, no_session, "garbage", ""]:
        response = await api.get("/api/v1/me", headers=bearer(bad))
        assert_problem(response, 401, "UNAUTHENTICATED")

    clock.advance(timedelta(seconds=pair["expiresIn"]))
    assert_problem(await api.get("/api/v1/me", headers=bearer(token)), 401, "UNAUTHENTICATED")


async def test_logout_needs_a_token_and_changes_nothing_without_one(api: AsyncTestClient[Any]) -> None:
    _, pair = await sign_up_and_in(api)
    response = await api.post("/api/v1/auth/logout", json={"refreshToken": pair["refreshToken"]})
    assert_problem(response, 401, "UNAUTHENTICATED")
    assert (
        await api.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    ).status_code == 200


async def test_sign_in_and_sign_up_are_rate_limited_per_client(api_factory: ApiFactory) -> None:
    async with api_factory(auth_rate_limit_per_minute=3) as client:
        ident = new_identity()
        statuses = []
        for _ in range(4):
            r = await client.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
            statuses.append(r.status_code)
        assert statuses == [401, 401, 401, 429]
        limited = assert_problem(r, 429, "RATE_LIMITED")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert limited["detail"]
        before = await account_rows(client)
        for _ in range(3):
            await client.post("/api/v1/accounts", json=new_identity())
        assert_problem(await client.post("/api/v1/accounts", json=new_identity()), 429, "RATE_LIMITED")
        assert (await account_rows(client))[0] == before[0] + 3


async def test_unknown_route_wrong_method_and_request_id(api: AsyncTestClient[Any]) -> None:
    assert_problem(await api.get("/api/v1/nothing-here"), 404, "NOT_FOUND")
    wrong = await api.put("/api/v1/me")
    assert_problem(wrong, 405, "METHOD_NOT_ALLOWED")
    echoed = await api.get("/health/live", headers={"X-Request-ID": "client-id-123"})
    assert echoed.headers["x-request-id"] == "client-id-123"
    fresh = await api.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert fresh.headers["x-request-id"] != "bad id with spaces"
    assert len(fresh.headers["x-request-id"]) == 32


async def test_readiness_reports_the_database_and_redis(
    api: AsyncTestClient[Any], deployment: dict[str, Any]
) -> None:
    ready = await api.get("/health/ready")
    assert ready.status_code == 200
    expected = {"database"} | ({"redis"} if "redis_url" in deployment else set())
    assert set(ready.json()["checks"]) == expected


async def test_readiness_is_503_when_redis_is_down(api_factory: ApiFactory) -> None:
    async with api_factory(redis_url="redis://127.0.0.1:1/0", redis_timeout_seconds=0.5) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"].startswith("down")
        # A request that needs Redis (the rate limiter) gets 503 UNAVAILABLE, never a 500.
        r = await client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": PASSWORD})
        assert_problem(r, 503, "UNAVAILABLE")
