"""Small helpers shared by the HTTP tests."""

import uuid
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from sagopalgo.accounts.adapters.sql.tables import refresh_tokens, sessions, users
from sagopalgo.platform.sql import create_engine

PASSWORD = "a-long-enough-password"


def new_identity() -> dict[str, str]:
    tag = uuid.uuid4().hex[:10]
    return {"email": f"walk{tag}@example.com", "username": f"walk{tag}", "password": PASSWORD}


async def sign_up_and_in(client: AsyncTestClient[Any]) -> tuple[dict[str, str], dict[str, Any]]:
    ident = new_identity()
    created = await client.post("/api/v1/accounts", json=ident)
    assert created.status_code == 201, created.text
    tokens = await client.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return ident, tokens.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def account_rows(client: AsyncTestClient[Any]) -> tuple[int, int, int]:
    """Row counts of the accounts tables, read straight from the app's database.

    The test client serves the app on its own event loop, so this opens a connection of its own.
    """
    engine = create_engine(client.app.state.settings.database_url)
    try:
        async with engine.connect() as conn:
            counts = []
            for table in (users, sessions, refresh_tokens):
                counts.append((await conn.execute(select(func.count()).select_from(table))).scalar_one())
    finally:
        await engine.dispose()
    return counts[0], counts[1], counts[2]


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["requestId"] == response.headers["x-request-id"]
    return body
