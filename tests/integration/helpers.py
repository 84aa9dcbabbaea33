"""Small helpers shared by the HTTP tests."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from sagopalgo.accounts.adapters.sql.tables import refresh_tokens, sessions, users
from sagopalgo.catalog.adapters.sql.tables import categories, lots, uploads
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


# ------------------------------------------------------------------ catalog
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
"""Enough of a PNG for the magic-byte check (the server never decodes images)."""


async def promote(client: AsyncTestClient[Any], user_id: int) -> None:
    """Make an account an admin straight in the database (``create-admin`` is tested elsewhere)."""
    engine = create_engine(client.app.state.settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(users).where(users.c.id == user_id).values(is_admin=True))
    finally:
        await engine.dispose()
    # The API trusts its last look at a session for AUTH_CACHE_SECONDS; step past it.
    client.app.state.clock.advance(timedelta(seconds=client.app.state.settings.auth_cache_seconds + 1))


async def user_id(client: AsyncTestClient[Any], token: str) -> int:
    me = await client.get("/api/v1/me", headers=bearer(token))
    return int(me.json()["id"])


async def admin_token(client: AsyncTestClient[Any]) -> str:
    _, tokens = await sign_up_and_in(client)
    await promote(client, await user_id(client, tokens["accessToken"]))
    return str(tokens["accessToken"])


async def new_category(client: AsyncTestClient[Any], admin: str, name: str | None = None) -> dict[str, Any]:
    created = await client.post(
        "/api/v1/categories", json={"name": name or f"도자기 {uuid.uuid4().hex[:6]}"}, headers=bearer(admin)
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def send_file(
    client: AsyncTestClient[Any], ticket: dict[str, Any], data: bytes, content_type: str = "image/png"
) -> int:
    """Do what the browser does with a ticket: POST the form, fields first, file last."""
    files = {"file": ("photo", data, content_type)}
    url = ticket["uploadUrl"]
    base = client.app.state.settings.api_base_url
    if url.startswith(base):  # the embedded store: the API itself receives the file
        response = await client.post(url[len(base) :], data=ticket["fields"], files=files)
    else:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(url, data=ticket["fields"], files=files)
    return response.status_code


async def upload_photo(
    client: AsyncTestClient[Any], token: str, data: bytes = PNG, content_type: str = "image/png"
) -> str:
    ticket = await client.post(
        "/api/v1/uploads/images",
        json={"contentType": content_type, "size": len(data)},
        headers=bearer(token),
    )
    assert ticket.status_code == 201, ticket.text
    status = await send_file(client, ticket.json(), data, content_type)
    assert status in (200, 201, 204), status
    return str(ticket.json()["key"])


def lot_body(category_id: int, keys: list[str], day: str, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "조선 백자 달항아리",
        "description": "18세기 후반, 높이 41cm.",
        "categoryId": category_id,
        "startPrice": 1_000_000,
        "bidIncrement": 50_000,
        "auctionDay": day,
        "imageKeys": keys,
        **overrides,
    }


async def catalog_rows(client: AsyncTestClient[Any]) -> tuple[int, int, int]:
    """Rows in the catalog's tables: categories, lots, and photos bound to a lot."""
    engine = create_engine(client.app.state.settings.database_url)
    try:
        async with engine.connect() as conn:
            counts = [
                (await conn.execute(select(func.count()).select_from(categories))).scalar_one(),
                (await conn.execute(select(func.count()).select_from(lots))).scalar_one(),
                (
                    await conn.execute(
                        select(func.count()).select_from(uploads).where(uploads.c.lot_id.is_not(None))
                    )
                ).scalar_one(),
            ]
    finally:
        await engine.dispose()
    return counts[0], counts[1], counts[2]
