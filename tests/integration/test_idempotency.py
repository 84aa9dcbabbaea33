"""Idempotency-Key on the POSTs that create (API.md, Conventions), on both deployments."""

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient

from tests.integration.helpers import (
    admin_token,
    assert_problem,
    bearer,
    lot_body,
    new_category,
    sign_up_and_in,
    upload_photo,
)

TOMORROW = "2026-11-26"  # the clock fixture stands at 2026-11-25 10:00 KST


async def _my_lot_ids(client: AsyncTestClient[Any], token: str) -> list[int]:
    mine = await client.get("/api/v1/me/lots", headers=bearer(token))
    return [item["id"] for item in mine.json()["items"]]


async def _seller(client: AsyncTestClient[Any]) -> tuple[str, dict[str, Any], list[str]]:
    category = await new_category(client, await admin_token(client))
    _, tokens = await sign_up_and_in(client)
    token = tokens["accessToken"]
    return token, category, [await upload_photo(client, token)]


async def test_a_repeated_listing_returns_the_first_answer_and_lists_once(api: AsyncTestClient[Any]) -> None:
    token, category, keys = await _seller(api)
    body = lot_body(category["id"], keys, TOMORROW)
    headers = {**bearer(token), "Idempotency-Key": "list-1"}

    first = await api.post("/api/v1/lots", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await api.post("/api/v1/lots", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _my_lot_ids(api, token) == [first.json()["id"]]

    other_body = await api.post("/api/v1/lots", json={**body, "title": "다른 물건"}, headers=headers)
    assert_problem(other_body, 422, "IDEMPOTENCY_KEY_REUSED")
    assert await _my_lot_ids(api, token) == [first.json()["id"]]


async def test_keys_belong_to_their_caller(api: AsyncTestClient[Any]) -> None:
    token, category, keys = await _seller(api)
    _, other = await sign_up_and_in(api)
    other_keys = [await upload_photo(api, other["accessToken"])]
    mine = await api.post(
        "/api/v1/lots",
        json=lot_body(category["id"], keys, TOMORROW),
        headers={**bearer(token), "Idempotency-Key": "same"},
    )
    theirs = await api.post(
        "/api/v1/lots",
        json=lot_body(category["id"], other_keys, TOMORROW),
        headers={**bearer(other["accessToken"]), "Idempotency-Key": "same"},
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers


async def test_a_refused_request_is_not_remembered(api: AsyncTestClient[Any]) -> None:
    token, category, keys = await _seller(api)
    headers = {**bearer(token), "Idempotency-Key": "refused"}
    past = lot_body(category["id"], keys, "2026-11-20")
    for _ in range(2):  # judged afresh each time, never replayed
        refused = await api.post("/api/v1/lots", json=past, headers=headers)
        assert_problem(refused, 400, "VALIDATION_FAILED")
        assert "idempotent-replayed" not in refused.headers
    assert await _my_lot_ids(api, token) == []
    # the key was not spent on the refusal: a corrected request under another key works as usual
    fixed = await api.post(
        "/api/v1/lots",
        json=lot_body(category["id"], keys, TOMORROW),
        headers={**bearer(token), "Idempotency-Key": "ok"},
    )
    assert fixed.status_code == 201


async def test_a_bad_key_is_a_validation_problem(api: AsyncTestClient[Any]) -> None:
    token, category, keys = await _seller(api)
    response = await api.post(
        "/api/v1/lots",
        json=lot_body(category["id"], keys, TOMORROW),
        headers={**bearer(token), "Idempotency-Key": "k" * 65},
    )
    assert_problem(response, 400, "VALIDATION_FAILED")
    assert await _my_lot_ids(api, token) == []


async def test_concurrent_repeats_list_one_lot(api: AsyncTestClient[Any]) -> None:
    token, category, keys = await _seller(api)
    body = lot_body(category["id"], keys, TOMORROW)
    headers = {**bearer(token), "Idempotency-Key": "storm"}
    answers = await asyncio.gather(*(api.post("/api/v1/lots", json=body, headers=headers) for _ in range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    assert await _my_lot_ids(api, token) == list(created)
    for busy in (a for a in answers if a.status_code == 409):
        assert_problem(busy, 409, "IDEMPOTENCY_KEY_IN_USE")
        assert busy.headers["retry-after"] == "1"
