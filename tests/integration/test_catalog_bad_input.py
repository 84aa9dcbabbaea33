"""Bad input to the catalog gets the right 4xx problem and changes nothing (both deployments)."""

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.integration.helpers import (
    PNG,
    admin_token,
    assert_problem,
    bearer,
    catalog_rows,
    lot_body,
    new_category,
    send_file,
    sign_up_and_in,
    upload_photo,
)

TOMORROW = "2026-11-26"
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.fixture
async def seller(api: AsyncTestClient[Any]) -> dict[str, Any]:
    """A category, a seller with one finished photo, and a stranger with one of their own."""
    category = await new_category(api, await admin_token(api))
    _, tokens = await sign_up_and_in(api)
    _, stranger = await sign_up_and_in(api)
    token = tokens["accessToken"]
    return {
        "token": token,
        "category": category["id"],
        "key": await upload_photo(api, token),
        "strangers_key": await upload_photo(api, stranger["accessToken"]),
    }


PRICES: list[tuple[str, Any]] = [
    ("startPrice", "1000000"),
    ("startPrice", -1),
    ("startPrice", 0),
    ("startPrice", 999),
    ("startPrice", 1000.5),
    ("startPrice", 10**12 + 1),
    ("startPrice", 2**63),
    ("startPrice", 2**64 + 5),
    ("startPrice", None),
    ("bidIncrement", "50000"),
    ("bidIncrement", 0),
    ("bidIncrement", -100),
    ("bidIncrement", 99),
    ("bidIncrement", 0.5),
    ("bidIncrement", 10**12),
    ("bidIncrement", 2**70),
]


async def test_bad_money_is_refused(api: AsyncTestClient[Any], seller: dict[str, Any]) -> None:
    """Prices as strings, negative, zero, under the minimum, fractional, over the bound, past 64 bits."""
    before = await catalog_rows(api)
    for field, value in PRICES:
        body = lot_body(seller["category"], [seller["key"]], TOMORROW, **{field: value})
        problem = assert_problem(
            await api.post("/api/v1/lots", json=body, headers=bearer(seller["token"])),
            400,
            "VALIDATION_FAILED",
        )
        assert field in {e["field"] for e in problem["errors"]}, (field, value, problem)
    assert await catalog_rows(api) == before


DAYS: list[Any] = [
    "2026-11-25",
    "2026-11-24",
    "1999-01-01",
    "2026-13-01",
    "2026-02-30",
    "tomorrow",
    20261126,
    "",
]


async def test_a_day_already_open_past_or_malformed_is_refused(
    api: AsyncTestClient[Any], seller: dict[str, Any]
) -> None:
    before = await catalog_rows(api)
    for day in DAYS:
        body = lot_body(seller["category"], [seller["key"]], day)
        problem = assert_problem(
            await api.post("/api/v1/lots", json=body, headers=bearer(seller["token"])),
            400,
            "VALIDATION_FAILED",
        )
        assert "auctionDay" in {e["field"] for e in problem["errors"]}, (day, problem)
    assert await catalog_rows(api) == before


async def test_shapes_and_references_that_cannot_be_listed(
    api: AsyncTestClient[Any], seller: dict[str, Any]
) -> None:
    token, category, key = seller["token"], seller["category"], seller["key"]
    before = await catalog_rows(api)
    cases: list[tuple[dict[str, Any], int, str, str | None]] = [
        (lot_body(10**12, [key], TOMORROW), 400, "VALIDATION_FAILED", "categoryId"),
        (lot_body(0, [key], TOMORROW), 400, "VALIDATION_FAILED", "categoryId"),
        (lot_body(category, [], TOMORROW), 400, "VALIDATION_FAILED", "imageKeys"),
        (lot_body(category, [key, key], TOMORROW), 400, "VALIDATION_FAILED", "imageKeys"),
        (lot_body(category, [key], TOMORROW, title=""), 400, "VALIDATION_FAILED", "title"),
        (lot_body(category, [key], TOMORROW, title="x" * 101), 400, "VALIDATION_FAILED", "title"),
        (
            lot_body(category, [key], TOMORROW, extendedBidding="yes"),
            400,
            "VALIDATION_FAILED",
            "extendedBidding",
        ),
        (lot_body(category, [key], TOMORROW, sellerId=1), 400, "VALIDATION_FAILED", None),
        ({"title": "no photos, no price"}, 400, "VALIDATION_FAILED", None),
        (lot_body(category, ["lots/1/" + "0" * 32 + ".png"], TOMORROW), 422, "IMAGE_KEY_INVALID", None),
        (lot_body(category, [seller["strangers_key"]], TOMORROW), 422, "IMAGE_KEY_INVALID", None),
        (lot_body(category, ["../../etc/passwd"], TOMORROW), 422, "IMAGE_KEY_INVALID", None),
    ]
    for body, status, code, field in cases:
        problem = assert_problem(
            await api.post("/api/v1/lots", json=body, headers=bearer(token)), status, code
        )
        if field:
            assert field in {e["field"] for e in problem["errors"]}, (body, problem)
    assert_problem(
        await api.post("/api/v1/lots", json=lot_body(category, [key], TOMORROW)), 401, "UNAUTHENTICATED"
    )
    assert_problem(
        await api.post("/api/v1/lots", content=b"{not json", headers=bearer(token)), 400, "VALIDATION_FAILED"
    )
    assert await catalog_rows(api) == before


async def test_an_html_file_sent_as_png_never_becomes_a_lot_photo(
    api: AsyncTestClient[Any], seller: dict[str, Any]
) -> None:
    token = seller["token"]
    ticket = await api.post(
        "/api/v1/uploads/images", json={"contentType": "image/png", "size": len(HTML)}, headers=bearer(token)
    )
    assert ticket.status_code == 201
    assert await send_file(api, ticket.json(), HTML, "image/png") in (200, 201, 204)
    empty = await api.post(
        "/api/v1/uploads/images", json={"contentType": "image/png", "size": len(PNG)}, headers=bearer(token)
    )
    before = await catalog_rows(api)
    for key in (ticket.json()["key"], empty.json()["key"]):
        body = lot_body(seller["category"], [key], TOMORROW)
        problem = assert_problem(
            await api.post("/api/v1/lots", json=body, headers=bearer(token)), 422, "IMAGE_CONTENT_INVALID"
        )
        assert problem["key"] == key
    assert await catalog_rows(api) == before


async def test_a_photo_belongs_to_one_lot(api: AsyncTestClient[Any], seller: dict[str, Any]) -> None:
    token, body = seller["token"], lot_body(seller["category"], [seller["key"]], TOMORROW)
    assert (await api.post("/api/v1/lots", json=body, headers=bearer(token))).status_code == 201
    before = await catalog_rows(api)
    assert_problem(await api.post("/api/v1/lots", json=body, headers=bearer(token)), 422, "IMAGE_KEY_INVALID")
    assert await catalog_rows(api) == before


UPLOADS: list[tuple[Any, Any, int, str]] = [
    ("text/html", 100, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("image/svg+xml", 100, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("image/gif", 100, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("image/png", 10 * 1024 * 1024 + 1, 413, "PAYLOAD_TOO_LARGE"),
    ("image/png", 2**70, 413, "PAYLOAD_TOO_LARGE"),
    ("image/png", 0, 400, "VALIDATION_FAILED"),
    ("image/png", -1, 400, "VALIDATION_FAILED"),
    ("image/png", "100", 400, "VALIDATION_FAILED"),
    ("", 100, 400, "VALIDATION_FAILED"),
]


@pytest.mark.parametrize(
    ("content_type", "size", "status", "code"), UPLOADS, ids=[repr(u[:2]) for u in UPLOADS]
)
async def test_uploads_are_only_images_within_the_bound(
    api: AsyncTestClient[Any], seller: dict[str, Any], content_type: Any, size: Any, status: int, code: str
) -> None:
    response = await api.post(
        "/api/v1/uploads/images",
        json={"contentType": content_type, "size": size},
        headers=bearer(seller["token"]),
    )
    assert_problem(response, status, code)


async def test_an_upload_needs_a_signed_in_user(api: AsyncTestClient[Any]) -> None:
    response = await api.post("/api/v1/uploads/images", json={"contentType": "image/png", "size": 10})
    assert_problem(response, 401, "UNAUTHENTICATED")


QUERIES: list[dict[str, Any]] = [
    {"size": 101},
    {"size": 0},
    {"page": 0},
    {"page": "two"},
    {"sort": "cheapest"},
    {"status": "SLEEPING"},
    {"categoryId": "art"},
    {"auctionDay": "26/11/2026"},
    {"sellerId": -3},
]


async def test_bad_list_queries_are_refused(api: AsyncTestClient[Any]) -> None:
    for params in QUERIES:
        problem = assert_problem(await api.get("/api/v1/lots", params=params), 400, "VALIDATION_FAILED")
        assert set(params) & {e["field"] for e in problem["errors"]}, (params, problem)


async def test_bad_edits_change_nothing(api: AsyncTestClient[Any], seller: dict[str, Any]) -> None:
    token = seller["token"]
    created = await api.post(
        "/api/v1/lots", json=lot_body(seller["category"], [seller["key"]], TOMORROW), headers=bearer(token)
    )
    path = f"/api/v1/lots/{created.json()['id']}"
    for body, status, code in [
        ({"startPrice": "5"}, 400, "VALIDATION_FAILED"),
        ({"startPrice": 10**13}, 400, "VALIDATION_FAILED"),
        ({"title": " "}, 400, "VALIDATION_FAILED"),
        ({"categoryId": 10**12}, 400, "VALIDATION_FAILED"),
        ({"imageKeys": [seller["strangers_key"]]}, 422, "IMAGE_KEY_INVALID"),
        ({"status": "OPEN"}, 400, "VALIDATION_FAILED"),
    ]:
        assert_problem(await api.patch(path, json=body, headers=bearer(token)), status, code)
    assert (await api.get(path)).json() == created.json()
    assert_problem(
        await api.patch("/api/v1/lots/999999999", json={}, headers=bearer(token)), 404, "NOT_FOUND"
    )
    assert_problem(await api.get("/api/v1/lots/0"), 400, "VALIDATION_FAILED")
    assert_problem(await api.get("/api/v1/lots/abc"), 404, "NOT_FOUND")
    relist = await api.post(f"{path}/relist", json={"auctionDay": "2026-11-27"}, headers=bearer(token))
    assert_problem(relist, 409, "LOT_STATE_CONFLICT")
