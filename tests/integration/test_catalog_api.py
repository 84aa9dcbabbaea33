"""The catalog over HTTP on both deployments: categories, photo uploads, listing, reading, editing."""

from datetime import timedelta
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from sagopalgo.api.composition import build_catalog, build_image_store
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.sql import create_engine, session_factory
from tests.conftest import ApiFactory
from tests.integration.helpers import (
    PASSWORD,
    PNG,
    admin_token,
    assert_problem,
    bearer,
    lot_body,
    new_category,
    sign_up_and_in,
    upload_photo,
)

TOMORROW = "2026-11-26"  # the clock fixture stands at 2026-11-25 10:00 KST


async def _fetch(client: AsyncTestClient[Any], url: str) -> httpx.Response:
    base = client.app.state.settings.api_base_url
    if url.startswith(base):
        return await client.get(url[len(base) :])
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(url)


async def test_a_new_seller_lists_a_lot_and_finds_it(api_factory: ApiFactory) -> None:
    async with api_factory() as client:
        category = await new_category(client, await admin_token(client))
        listed = await client.get("/api/v1/categories")
        assert category in listed.json()

        _, tokens = await sign_up_and_in(client)
        seller = tokens["accessToken"]
        key = await upload_photo(client, seller)
        created = await client.post(
            "/api/v1/lots", json=lot_body(category["id"], [key], TOMORROW), headers=bearer(seller)
        )
        assert created.status_code == 201, created.text
        lot = created.json()
        assert lot["status"] == "SCHEDULED"
        assert (lot["opensAt"], lot["closesAt"]) == ("2026-11-26T09:00:00+09:00", "2026-11-26T18:00:00+09:00")
        assert (lot["currentPrice"], lot["minimumNextBid"], lot["bidCount"]) == (1_000_000, 1_000_000, 0)
        assert lot["category"] == category
        assert lot["images"][0]["key"] == key

        found = await client.get(
            "/api/v1/lots", params={"auctionDay": TOMORROW, "categoryId": category["id"]}
        )
        assert found.status_code == 200
        assert [item["id"] for item in found.json()["items"]] == [lot["id"]]
        assert found.json()["total"] == 1

        detail = await client.get(f"/api/v1/lots/{lot['id']}")
        assert detail.status_code == 200
        assert detail.json() == lot
        image = await _fetch(client, lot["images"][0]["url"])
        assert image.status_code == 200
        assert image.content == PNG

        mine = await client.get("/api/v1/me/lots", headers=bearer(seller))
        assert [item["id"] for item in mine.json()["items"]] == [lot["id"]]


async def test_categories_are_managed_by_admins_only(api: AsyncTestClient[Any]) -> None:
    admin = await admin_token(api)
    _, tokens = await sign_up_and_in(api)
    user = tokens["accessToken"]
    assert_problem(
        await api.post("/api/v1/categories", json={"name": "Art"}, headers=bearer(user)), 403, "FORBIDDEN"
    )
    assert_problem(await api.post("/api/v1/categories", json={"name": "Art"}), 401, "UNAUTHENTICATED")
    art = await new_category(api, admin, "Art Deco")
    assert_problem(
        await api.post("/api/v1/categories", json={"name": " art  deco "}, headers=bearer(admin)),
        409,
        "CATEGORY_EXISTS",
    )
    renamed = await api.patch(
        f"/api/v1/categories/{art['id']}", json={"name": "아르데코"}, headers=bearer(admin)
    )
    assert renamed.json() == {"id": art["id"], "name": "아르데코"}
    assert_problem(
        await api.delete(f"/api/v1/categories/{art['id']}", headers=bearer(user)), 403, "FORBIDDEN"
    )

    key = await upload_photo(api, user)
    created = await api.post("/api/v1/lots", json=lot_body(art["id"], [key], TOMORROW), headers=bearer(user))
    assert created.status_code == 201
    assert_problem(
        await api.delete(f"/api/v1/categories/{art['id']}", headers=bearer(admin)), 409, "CATEGORY_IN_USE"
    )
    empty = await new_category(api, admin)
    assert (await api.delete(f"/api/v1/categories/{empty['id']}", headers=bearer(admin))).status_code == 204
    assert_problem(
        await api.delete(f"/api/v1/categories/{empty['id']}", headers=bearer(admin)), 404, "NOT_FOUND"
    )
    names = [c["name"] for c in (await api.get("/api/v1/categories")).json()]
    assert "아르데코" in names
    assert empty["name"] not in names


async def test_the_seller_edits_and_withdraws_until_bidding_opens(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    category = await new_category(api, await admin_token(api))
    ident, tokens = await sign_up_and_in(api)
    seller = tokens["accessToken"]
    _, other_tokens = await sign_up_and_in(api)
    other = other_tokens["accessToken"]

    async def listed() -> dict[str, Any]:
        key = await upload_photo(api, seller)
        response = await api.post(
            "/api/v1/lots", json=lot_body(category["id"], [key], TOMORROW), headers=bearer(seller)
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    lot = await listed()
    path = f"/api/v1/lots/{lot['id']}"
    assert_problem(await api.patch(path, json={"title": "mine now"}, headers=bearer(other)), 403, "FORBIDDEN")
    assert_problem(await api.delete(path, headers=bearer(other)), 403, "FORBIDDEN")

    new_key = await upload_photo(api, seller)
    edited = await api.patch(
        path,
        json={"title": "백자 대호", "startPrice": 2_000_000, "imageKeys": [new_key]},
        headers=bearer(seller),
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["title"], edited.json()["startPrice"]) == ("백자 대호", 2_000_000)
    assert [i["key"] for i in edited.json()["images"]] == [new_key]
    assert (await api.get(path)).json()["title"] == "백자 대호"  # the edit invalidated the cached detail

    spare = await listed()
    assert (await api.delete(f"/api/v1/lots/{spare['id']}", headers=bearer(seller))).status_code == 204
    assert_problem(await api.get(f"/api/v1/lots/{spare['id']}"), 404, "NOT_FOUND")
    public = await api.get("/api/v1/lots", params={"auctionDay": TOMORROW, "size": 100})
    assert spare["id"] not in [item["id"] for item in public.json()["items"]]
    mine = await api.get("/api/v1/me/lots", headers=bearer(seller))
    assert {item["id"]: item["status"] for item in mine.json()["items"]}[spare["id"]] == "WITHDRAWN"

    clock.set(clock.now().replace(day=26, hour=0, minute=0, second=0))  # 09:00 KST tomorrow
    signed_in = await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
    seller = signed_in.json()["accessToken"]  # the first token expired overnight
    assert_problem(
        await api.patch(path, json={"title": "too late"}, headers=bearer(seller)), 409, "LOT_LOCKED"
    )
    assert_problem(await api.delete(path, headers=bearer(seller)), 409, "LOT_LOCKED")
    assert (await api.get(path)).json()["title"] == "백자 대호"


async def test_an_admin_may_withdraw_any_scheduled_lot(api: AsyncTestClient[Any]) -> None:
    admin = await admin_token(api)
    category = await new_category(api, admin)
    _, tokens = await sign_up_and_in(api)
    key = await upload_photo(api, tokens["accessToken"])
    lot = await api.post(
        "/api/v1/lots", json=lot_body(category["id"], [key], TOMORROW), headers=bearer(tokens["accessToken"])
    )
    response = await api.delete(f"/api/v1/lots/{lot.json()['id']}", headers=bearer(admin))
    assert response.status_code == 204


async def test_paging_reports_the_total_and_stops_at_the_last_page(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    category = await new_category(api, await admin_token(api))
    _, tokens = await sign_up_and_in(api)
    seller = tokens["accessToken"]
    ids = []
    for _ in range(3):
        key = await upload_photo(api, seller)
        created = await api.post(
            "/api/v1/lots", json=lot_body(category["id"], [key], TOMORROW), headers=bearer(seller)
        )
        ids.append(created.json()["id"])
        clock.advance(timedelta(seconds=1))
    params: dict[str, Any] = {"categoryId": category["id"], "size": 2, "sort": "newest"}
    first = (await api.get("/api/v1/lots", params={**params, "page": 1})).json()
    second = (await api.get("/api/v1/lots", params={**params, "page": 2})).json()
    beyond = (await api.get("/api/v1/lots", params={**params, "page": 3})).json()
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]
    assert (first["total"], first["size"], second["page"], beyond["items"]) == (3, 2, 2, [])


async def test_an_open_lot_is_locked_and_an_unsold_one_is_relisted_by_its_seller(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    category = await new_category(api, await admin_token(api))
    _, tokens = await sign_up_and_in(api)
    _, other_tokens = await sign_up_and_in(api)
    seller, other = tokens["accessToken"], other_tokens["accessToken"]
    key = await upload_photo(api, seller)
    created = await api.post(
        "/api/v1/lots", json=lot_body(category["id"], [key], TOMORROW), headers=bearer(seller)
    )
    lot_id = created.json()["id"]
    path = f"/api/v1/lots/{lot_id}"

    settings = api.app.state.settings
    engine = create_engine(settings.database_url)
    catalog = build_catalog(session_factory(engine), settings, clock, images=build_image_store(settings))
    try:
        await catalog.open_lot(lot_id)  # what the 09:00 opener does (issue 6)
        assert_problem(
            await api.patch(path, json={"title": "late edit"}, headers=bearer(seller)), 409, "LOT_LOCKED"
        )
        assert_problem(await api.delete(path, headers=bearer(seller)), 409, "LOT_LOCKED")
        relist = {"auctionDay": "2026-11-28"}
        assert_problem(
            await api.post(f"{path}/relist", json=relist, headers=bearer(seller)), 409, "LOT_STATE_CONFLICT"
        )
        await catalog.close_lot(lot_id, has_winner=False)
    finally:
        await engine.dispose()

    assert_problem(await api.post(f"{path}/relist", json=relist, headers=bearer(other)), 403, "FORBIDDEN")
    assert_problem(
        await api.post(f"{path}/relist", json={"auctionDay": "2026-11-25"}, headers=bearer(seller)),
        400,
        "VALIDATION_FAILED",
    )
    relisted = await api.post(f"{path}/relist", json=relist, headers=bearer(seller))
    assert relisted.status_code == 200, relisted.text
    body = relisted.json()
    assert (body["status"], body["auctionDay"], body["opensAt"]) == (
        "SCHEDULED",
        "2026-11-28",
        "2026-11-28T09:00:00+09:00",
    )
    assert (await api.get(path)).json()["status"] == "SCHEDULED"


async def test_photos_no_lot_uses_are_deleted_a_day_after_their_upload_expired(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    """The original never cleaned up (defect 29): every abandoned or replaced photo stayed stored.

    Here a photo uploaded and never listed, and one an edit replaced, are deleted from storage and
    forgotten once their upload's expiry is a day past; the lot's own photo stays, and a forgotten
    key can no longer be attached to a lot.
    """
    category = await new_category(api, await admin_token(api))
    _, tokens = await sign_up_and_in(api)
    seller = tokens["accessToken"]
    listed, replaced, abandoned = [await upload_photo(api, seller) for _ in range(3)]
    created = await api.post(
        "/api/v1/lots", json=lot_body(category["id"], [replaced], TOMORROW), headers=bearer(seller)
    )
    assert created.status_code == 201, created.text
    lot = created.json()["id"]
    edited = await api.patch(f"/api/v1/lots/{lot}", json={"imageKeys": [listed]}, headers=bearer(seller))
    assert edited.status_code == 200, edited.text
    url = {i["key"]: i["url"] for i in edited.json()["images"]}[listed]
    base = api.app.state.settings.image_base_url

    settings = api.app.state.settings
    engine = create_engine(settings.database_url)
    try:  # the sweep every API process runs, on this test's loop
        catalog = build_catalog(session_factory(engine), settings, clock, images=build_image_store(settings))
        assert await catalog.sweep_uploads() == 0  # nothing has expired yet
        clock.advance(timedelta(seconds=settings.upload_ttl_seconds) + timedelta(days=1))
        recent = await upload_photo(api, await _token_now(api, tokens))
        assert await catalog.sweep_uploads() >= 2
        assert await catalog.sweep_uploads() == 0
    finally:
        await engine.dispose()

    for key in (replaced, abandoned):
        assert (await _fetch(api, f"{base}/{key}")).status_code in (403, 404)
    for key in (listed, recent):
        assert (await _fetch(api, f"{base}/{key}")).status_code == 200
    assert (await _fetch(api, url)).content == PNG
    token = await _token_now(api, tokens)
    day = "2026-11-28"
    for key in (abandoned, replaced):
        body = lot_body(category["id"], [key], day)
        refused = await api.post("/api/v1/lots", json=body, headers=bearer(token))
        assert_problem(refused, 422, "IMAGE_KEY_INVALID")
    body = lot_body(category["id"], [recent], day)
    again = await api.post("/api/v1/lots", json=body, headers=bearer(token))
    assert again.status_code == 201, again.text


async def _token_now(api: AsyncTestClient[Any], tokens: dict[str, Any]) -> str:
    """A fresh access token after the clock jumped past the old one's expiry."""
    pair = await api.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert pair.status_code == 200, pair.text
    tokens.update(pair.json())
    return str(tokens["accessToken"])
