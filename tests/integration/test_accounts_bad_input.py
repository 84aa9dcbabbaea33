"""Bad input on every accounts endpoint: the right 4xx problem, and nothing changes."""

import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.helpers import PASSWORD, account_rows, assert_problem, bearer, sign_up_and_in

BIG = "x" * (2 * 1024 * 1024)

CASES = [
    # (path, body, expected status, expected code)
    ("/api/v1/auth/token", {"email": "a@example.com"}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/token", {"password": PASSWORD}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/token", {"email": ["a@example.com"], "password": PASSWORD}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/token", {"email": "a@example.com", "password": None}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/token", {"email": "a@example.com", "password": BIG}, 413, "PAYLOAD_TOO_LARGE"),
    ("/api/v1/auth/token", {"email": "a@example.com", "password": "p" * 2000}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/refresh", {}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/refresh", {"refreshToken": 12345}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/refresh", {"refreshToken": ""}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/refresh", {"refreshToken": "t" * 1000}, 400, "VALIDATION_FAILED"),
    ("/api/v1/auth/refresh", {"refreshToken": "not-a-token-we-issued"}, 401, "INVALID_REFRESH_TOKEN"),
    ("/api/v1/auth/refresh", {"refresh_token": "snake-case-is-not-the-contract"}, 400, "VALIDATION_FAILED"),
]


@pytest.mark.parametrize(("path", "body", "status", "code"), CASES)
async def test_bad_token_and_refresh_requests(
    api: AsyncTestClient[Any], path: str, body: dict[str, Any], status: int, code: str
) -> None:
    await sign_up_and_in(api)
    before = await account_rows(api)
    assert_problem(await api.post(path, json=body), status, code)
    assert await account_rows(api) == before


@pytest.mark.parametrize(
    ("body", "status"),
    [({}, 400), ({"refreshToken": 1}, 400), ({"refreshToken": BIG}, 413), (None, 400)],
)
async def test_bad_logout_requests_end_no_session(api: AsyncTestClient[Any], body: Any, status: int) -> None:
    _, pair = await sign_up_and_in(api)
    before = await account_rows(api)
    content = b"" if body is None else json.dumps(body).encode()
    response = await api.post(
        "/api/v1/auth/logout",
        content=content,
        headers={**bearer(pair["accessToken"]), "content-type": "application/json"},
    )
    assert response.status_code == status
    assert response.json()["code"] in {"VALIDATION_FAILED", "PAYLOAD_TOO_LARGE"}
    assert await account_rows(api) == before
    assert (await api.get("/api/v1/me", headers=bearer(pair["accessToken"]))).status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "bearer", "Bearer a.b", "Token xyz"])
async def test_malformed_authorization_headers_are_401(api: AsyncTestClient[Any], header: str) -> None:
    assert_problem(await api.get("/api/v1/me", headers={"Authorization": header}), 401, "UNAUTHENTICATED")
