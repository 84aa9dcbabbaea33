"""The authorisation matrix: every endpoint of the composed services × every kind of caller.

``tests/authz/table.py`` is the table (API.md's "who" column, one row per endpoint); this module
checks that every route the apps serve has a row, and runs the table on both deployments over a
world with resources of every kind owned by different users (``tests/authz/world.py``).
"""

import time
from pathlib import Path
from typing import Any

import argon2
import httpx
import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from sagopalgo.accounts.adapters.passwords import Argon2PasswordHasher
from sagopalgo.api import composition
from sagopalgo.api.app import create_app
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.settings import load_settings
from sagopalgo.sse.app import create_app as create_sse_app
from tests.authz.matrix import judge, routes_of, run_api, run_pages, run_sse, stale, untabled
from tests.authz.table import API, PAGES, SSE, Inert, Ok, Refused, ToSignIn
from tests.authz.world import build_world
from tests.conftest import JWT_SECRET, api_settings
from tests.integration.payments_helpers import running_fake, toss_settings


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its cheapest: the world signs in some eighty times, and at the production cost
    (~0.4 s a hash on the 2-core CI box) hashing would be most of the matrix's time. Who may do
    what does not depend on how slowly a password is checked."""
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(composition, "Argon2PasswordHasher", lambda: Argon2PasswordHasher(cheap))


def _apps(tmp_path: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    """Routes of the API on local photo storage, the API on S3, and the SSE service."""
    base = {"jwt_secret": JWT_SECRET, "database_url": f"sqlite+aiosqlite:///{tmp_path}/routes.db"}
    embedded = routes_of(create_app(load_settings({}, **base)))
    on_s3 = routes_of(create_app(load_settings({}, **base, s3_bucket="photos")))
    return embedded, on_s3, routes_of(create_sse_app(load_settings({}, **base)))


def test_every_route_has_a_row_and_every_row_a_route(tmp_path: Path) -> None:
    embedded, on_s3, sse = _apps(tmp_path)
    assert on_s3 < embedded  # S3 only drops the embedded store's two routes
    missing = untabled(embedded, [*API, *PAGES]) + untabled(sse, SSE)
    assert not missing, "routes with no row in tests/authz/table.py:\n" + "\n".join(missing)
    gone = stale([*API, *PAGES], embedded) + stale(SSE, sse)
    assert not gone, "rows for routes no app serves:\n" + "\n".join(gone)


def test_a_new_endpoint_without_a_row_is_named(tmp_path: Path) -> None:
    @get("/api/v1/admin/secrets", sync_to_thread=False)
    def secrets() -> str:
        return "nobody wrote a row for me"

    app = create_app(load_settings({}, jwt_secret=JWT_SECRET))
    app.register(secrets)
    assert untabled(routes_of(app), [*API, *PAGES]) == ["GET /api/v1/admin/secrets"]


def _response(
    status: int, body: Any = None, media: str = "application/problem+json", **headers: str
) -> httpx.Response:
    if isinstance(body, str):
        return httpx.Response(status, headers={"content-type": media, **headers}, text=body)
    return httpx.Response(status, headers={"content-type": media, **headers}, json=body or {})


def test_the_judge_catches_what_a_hole_looks_like() -> None:
    forbidden = Refused(403, "FORBIDDEN")
    state = {"lots": [(1, "SCHEDULED")]}
    assert judge(forbidden, _response(403, {"code": "FORBIDDEN"}), state, state) == []
    assert judge(forbidden, _response(200, {"id": 1}, "application/json"), state, state)  # let through
    assert judge(forbidden, _response(403, {"code": "FORBIDDEN"}), state, {"lots": [(1, "WITHDRAWN")]})
    assert judge(forbidden, _response(403, {"code": "OWN_LOT"}), state, state)  # another refusal
    assert judge(forbidden, _response(403, {"code": "FORBIDDEN"}, "application/json"), state, state)
    assert judge(forbidden, _response(404, {"code": "NOT_FOUND"}), state, state)  # 404 where 403 is the rule
    assert judge(Ok(200), _response(500, {"code": "INTERNAL_ERROR"}))
    assert judge(Inert(204), _response(204, None), state, {"lots": []})
    page = '<p class="alert error" data-code="FORBIDDEN">할 수 없는</p>'
    assert judge(forbidden, _response(403, page, "text/html"), state, state, page=True) == []
    assert judge(Refused(403, "OWN_LOT"), _response(403, page, "text/html"), state, state, page=True)
    to_sign_in = _response(303, "", "text/plain", location="/signin?next=/me/bids")
    assert judge(ToSignIn(), to_sign_in, state, state) == []
    assert judge(ToSignIn(), _response(200, "<html>", "text/html"), state, state)


async def test_who_may_do_what(deployment: dict[str, Any], clock: ManualClock) -> None:
    """Each row as each role: the allowed succeed, the refused are refused and change nothing."""
    started = time.monotonic()
    with running_fake() as toss:
        settings = api_settings(deployment, **toss_settings(toss))
        api_app = create_app(settings, clock=clock)
        routes = routes_of(api_app)
        async with (
            AsyncTestClient(app=api_app) as api,
            AsyncTestClient(app=create_sse_app(settings, clock=clock)) as sse,
            build_world(api, clock, toss) as world,
        ):
            built = time.monotonic()
            findings = await run_api(world, API, routes)
            findings += await run_pages(world, PAGES)
            findings += await run_sse(world, sse, SSE)
    print(f"authorisation matrix: world {built - started:.1f} s, rows {time.monotonic() - built:.1f} s")
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings)
