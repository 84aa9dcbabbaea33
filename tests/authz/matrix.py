"""Running the table: every row as every role, judged; and which routes the table leaves out.

A call is judged by ``judge``: the status, the shape of a refusal (a problem document with its
``code``, or on pages an HTML page whose alert carries it), and for a refusal or an ``Inert``
answer that the world is as it was. Findings are collected, not raised, so one run names them all.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.authz.table import Expect, Inert, Ok, Refused, Row, ToSignIn
from tests.authz.world import ROLES, Browser, Role, World

__all__ = ["Call", "judge", "routes_of", "run_api", "run_pages", "run_sse", "stale", "untabled"]

PROBLEM = "application/problem+json"
SAFE = ("GET", "HEAD")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# ====================================================================== routes
def routes_of(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, route) the app serves, but OPTIONS (a rule covers it: ``run_api``)."""
    return {
        (method, route.path)
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        for method in getattr(handler, "http_methods", ())
        if method != "OPTIONS"
    }


def untabled(routes: set[tuple[str, str]], rows: Iterable[Row]) -> list[str]:
    """Routes without a row, as ``METHOD route`` (what a new endpoint looks like until tabled)."""
    tabled = {(row.method, row.route) for row in rows}
    return sorted(f"{method} {route}" for method, route in routes - tabled)


# ====================================================================== judging one answer
@dataclass
class Call:
    row: Row
    role: Role
    how: str = ""
    """How the credentials were spoiled, when they were ("expired token", "no CSRF token")."""

    def __str__(self) -> str:
        return f"{self.row.name} as {self.role.value}{f' ({self.how})' if self.how else ''}"


def judge(
    expect: Expect,
    response: httpx.Response,
    before: Any = None,
    after: Any = None,
    *,
    page: bool = False,
) -> list[str]:
    """What is wrong with ``response`` (empty when nothing): status, refusal shape, state kept."""
    wrong: list[str] = []
    status = response.status_code
    body = response.text[:300].replace("\n", " ")
    if status >= 500:
        return [f"answered {status}: {body}"]
    if isinstance(expect, ToSignIn):
        where = response.headers.get("location", "")
        if status != 303 or not where.startswith("/signin?next="):
            wrong.append(f"answered {status} (location {where!r}), not 303 to the sign-in page")
    elif status != expect.status:
        wrong.append(f"answered {status}, expected {expect.status}: {body}")
    elif isinstance(expect, Refused):
        wrong += _refusal_shape(expect, response, page=page)
    if not isinstance(expect, Ok) and before != after:
        wrong.append(f"changed what it refused to change: {_difference(before, after)}")
    return wrong


def _refusal_shape(expect: Refused, response: httpx.Response, *, page: bool) -> list[str]:
    media = response.headers.get("content-type", "")
    if page and not media.startswith("application/json") and PROBLEM not in media:
        if not media.startswith("text/html"):
            return [f"a refused page answered {media!r}"]
        if f'data-code="{expect.code}"' not in response.text:
            codes = re.findall(r'data-code="([^"]*)"', response.text)
            return [f"the page says {codes or 'nothing'}, not {expect.code}"]
        return []
    if not media.startswith(PROBLEM):
        return [f"a refusal answered {media!r}, not a problem document"]
    code = response.json().get("code")
    return [] if code == expect.code else [f"refused with code {code!r}, expected {expect.code}"]


def _difference(before: Any, after: Any) -> str:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return f"{before!r} → {after!r}"
    changed = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was != now:
            gone = [r for r in (was or []) if r not in (now or [])] if isinstance(was, list) else was
            new = [r for r in (now or []) if r not in (was or [])] if isinstance(now, list) else now
            changed.append(f"{key}: {gone} → {new}")
    return "; ".join(changed)


# ====================================================================== requests
def fill(value: Any, ids: dict[str, Any]) -> Any:
    """``"{name}"`` → ``ids[name]`` (keeping its type), inside dicts and lists; other text formatted."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        return ids[whole.group(1)] if whole else value.format_map(ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


async def request_of(row: Row, world: World, role: Role, ids: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    path = fill(row.path or row.route, ids)
    if row.body is None:
        kwargs: dict[str, Any] = {}
    elif callable(row.body):
        kwargs = await row.body(world, role)
    else:
        kwargs = {"json": fill(row.body, ids)}
    return path, kwargs


def _order(row: Row, page: bool = False) -> list[Role]:
    """Refusals first, while the row's subject is as the world built it; then the allowed callers."""
    refused = [r for r in ROLES if not isinstance(row.expect(r, page=page), Ok)]
    return refused + [r for r in ROLES if r not in refused]


def _credential_for(row: Row) -> Role:
    """Whose credentials the spoiled-credential checks spoil: an allowed caller's, where there is one."""
    allowed = [r for r in row.allowed() if r is not Role.ANONYMOUS]
    return allowed[0] if allowed else Role.SELLER


async def _renewed(row: Row, world: World, expect: Expect) -> dict[str, Any]:
    if isinstance(expect, Ok) and row.renew is not None:
        world.known = None
        return {**world.ids, **await row.renew(world)}
    return world.ids


async def _prepared(row: Row, world: World, role: Role, expect: Expect) -> tuple[str, dict[str, Any]]:
    """The call's path and request; a body made per call may have changed the world (a new upload)."""
    ids = await _renewed(row, world, expect)
    if callable(row.body):
        world.known = None
    return await request_of(row, world, role, ids)


async def _read_only(world: World, row: Row, before: Any) -> list[str]:
    """A GET or HEAD row, all its callers done, changed nothing (one look per row, not per call)."""
    if row.method not in SAFE:
        return []
    after = await _after(world, Inert(200))
    return [] if before == after else [f"{row.name}: a read changed the world: {_difference(before, after)}"]


async def _before(world: World, expect: Expect) -> Any:
    """The state a refusal or an inert answer must keep (GETs: ``_read_only``): the last one seen,
    if nothing that could have changed it has run since. An allowed call may change it."""
    if isinstance(expect, Ok):
        world.known = None
        return None
    if world.known is None:
        world.known = await world.state()
    return world.known


async def _after(world: World, expect: Expect) -> Any:
    if isinstance(expect, Ok):
        return None
    world.known = await world.state()
    return world.known


# ====================================================================== the JSON API
async def run_api(world: World, rows: list[Row], routes: set[tuple[str, str]]) -> list[str]:
    """Every row as every role; every protected route also with spoiled credentials, and every
    public one with a garbage token (which it ignores, as it ignores none).

    Every call of a row carries the row's one ``Idempotency-Key``: keys are per caller, so no
    answer may ever come back marked replayed (another caller's response).
    """
    findings: list[str] = []
    seen_options: set[str] = set()
    protected: set[str] = set()
    spoiled: set[str] = set()
    for number, row in enumerate(rows):
        if (row.method, row.route) not in routes:  # this deployment does not serve it (/media on S3)
            continue
        key = {"Idempotency-Key": f"authz-{number}-{world.ids['today']}"}
        if row.expect(Role.ANONYMOUS) == Refused(401, "UNAUTHENTICATED"):
            protected.add(f"{row.method} {row.route}")
        unread = await _before(world, Inert(200)) if row.method in SAFE else None
        for role in _order(row):
            expect = row.expect(role)
            if (
                isinstance(expect, Ok)
                and f"{row.method} {row.route}" in protected
                and role is _credential_for(row)
            ):
                findings += await _spoiled_tokens(world, row, role)
                spoiled.add(f"{row.method} {row.route}")
            findings += await _api_call(world, Call(row, role), expect, {**world.headers(role), **key})
        if isinstance(anonymous := row.expect(Role.ANONYMOUS), Ok | Inert):  # public: a bad token is ignored
            call = Call(row, Role.ANONYMOUS, "a garbage token")
            findings += await _api_call(world, call, anonymous, {"Authorization": "Bearer not-a-token"})
        findings += await _read_only(world, row, unread)
        path = fill(row.path or row.route, world.ids).split("?")[0]
        if path not in seen_options:
            seen_options.add(path)
            findings += await _options(world, row, path)
    findings += [
        f"{route}: no row lets anyone in, so bad credentials were never tried"
        for route in sorted(protected - spoiled)
    ]
    return findings


async def _api_call(
    world: World, call: Call, expect: Expect, headers: dict[str, str], cookies: httpx.Cookies | None = None
) -> list[str]:
    path, kwargs = await _prepared(call.row, world, call.role, expect)
    kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
    before = await _before(world, expect)
    world.api.cookies = cookies or httpx.Cookies()
    try:
        response = await world.api.request(call.row.method, path, follow_redirects=False, **kwargs)
    finally:
        world.api.cookies.clear()
    after = await _after(world, expect)
    wrong = judge(expect, response, before, after)
    if response.headers.get("idempotent-replayed"):
        wrong.append("got an answer replayed from another caller's Idempotency-Key")
    if not wrong and isinstance(expect, Ok):
        wrong += _checked(call, world, response)
        await _settled(world, call)
    return [f"{call}: {w}" for w in wrong]


async def _settled(world: World, call: Call) -> None:
    """After an allowed write, wait for the bid-log writer (a bid reaches the tables a moment later)."""
    if call.row.method not in SAFE:
        await world.settle()


def _checked(call: Call, world: World, response: httpx.Response) -> list[str]:
    if call.row.check is None:
        return []
    try:
        call.row.check(world, call.role, response)
    except AssertionError as failed:
        return [str(failed)]
    return []


async def _spoiled_tokens(world: World, row: Row, role: Role) -> list[str]:
    """The allowed caller's request with credentials that must not work: 401, nothing changed."""
    findings: list[str] = []
    refused = Refused(401, "UNAUTHENTICATED")
    for how, token in world.bad_tokens(role).items():
        findings += await _api_call(
            world, Call(row, role, f"{how} token"), refused, {"Authorization": f"Bearer {token}"}
        )
    browser = world.browsers[role]  # a signed-in browser's cookies are no credential here
    findings += await _api_call(world, Call(row, role, "session cookie, no token"), refused, {}, browser.jar)
    return findings


async def _options(world: World, row: Row, path: str) -> list[str]:
    """OPTIONS is answered by the framework for every route, to anyone, and runs no handler."""
    before = await _before(world, Inert(204))
    response = await world.api.options(path)
    after = await _after(world, Inert(204))
    wrong = judge(Inert(204), response, before, after)
    return [f"OPTIONS {path}: {w}" for w in wrong]


# ====================================================================== the pages
async def run_pages(world: World, rows: list[Row]) -> list[str]:
    findings: list[str] = []
    seen_options: set[str] = set()
    for row in rows:
        unread = await _before(world, Inert(200)) if row.method in SAFE else None
        for role in _order(row, page=True):
            expect = row.expect(role, page=True)
            if isinstance(expect, Ok) and role is _page_credential_for(row):
                findings += await _spoiled_pages(world, row, role)
            browser = await _browser_for(world, row, role)
            findings += await _page_call(world, Call(row, role), expect, browser)
        findings += await _read_only(world, row, unread)
        path = fill(row.path or row.route, world.ids).split("?")[0]
        if path not in seen_options:
            seen_options.add(path)
            findings += await _options(world, row, path)
    return findings


def _page_credential_for(row: Row) -> Role:
    allowed = row.allowed()
    return Role.ANONYMOUS if Role.ANONYMOUS in allowed else _credential_for(row)


async def _browser_for(world: World, row: Row, role: Role) -> Browser:
    if row.fresh_session and role is not Role.ANONYMOUS:
        world.known = None
        browser = Browser(world.api)
        await browser.sign_in(world.accounts[role].ident)
        return browser
    return world.browsers[role].copy()


async def _page_call(
    world: World, call: Call, expect: Expect, browser: Browser, *, csrf: bool = True
) -> list[str]:
    path, kwargs = await _prepared(call.row, world, call.role, expect)
    before = await _before(world, expect)
    response = await browser.request(call.row.method, path, csrf=csrf, **kwargs)
    after = await _after(world, expect)
    wrong = judge(expect, response, before, after, page=True)
    if not wrong and isinstance(expect, Ok):
        wrong += _checked(call, world, response)
        await _settled(world, call)
    return [f"{call}: {w}" for w in wrong]


async def _spoiled_pages(world: World, row: Row, role: Role) -> list[str]:
    """Without the CSRF token a form is refused; an ended or forged session is nobody's."""
    findings: list[str] = []
    if row.method == "POST":
        browser = await _browser_for(world, row, role)
        findings += await _page_call(
            world, Call(row, role, "no CSRF token"), Refused(403, "CSRF_FAILED"), browser, csrf=False
        )
    if role is Role.ANONYMOUS:
        return findings
    as_nobody = row.expect(Role.ANONYMOUS, page=True)
    ended = world.ended_browsers[role].copy()
    findings += await _page_call(world, Call(row, role, "ended session"), as_nobody, ended)
    forged = world.browsers[role].copy()
    cookie = forged.jar.get("sagopalgo_session") or ""
    forged.jar.set("sagopalgo_session", cookie[:-8] + ("A" * 8 if not cookie.endswith("A" * 8) else "B" * 8))
    findings += await _page_call(world, Call(row, role, "forged session cookie"), as_nobody, forged)
    return findings


# ====================================================================== the SSE service
async def run_sse(world: World, sse: AsyncTestClient[Any], rows: list[Row]) -> list[str]:
    """The SSE service takes no credentials: each role's token is sent along and must not matter."""
    findings: list[str] = []
    for row in rows:
        for role in _order(row):
            expect = row.expect(role)
            path, _ = await request_of(row, world, role, world.ids)
            headers = world.headers(role)
            if path.endswith("/events"):
                status, media, first = await asyncio.to_thread(_first_event, sse, path, headers)
                response = httpx.Response(status, headers={"content-type": media}, content=first)
                if status == 200 and b"event: snapshot" not in first.split(b"\r\n\r\n")[0]:
                    findings.append(
                        f"{Call(row, role)}: the stream did not start with its snapshot: {first[:80]!r}"
                    )
            else:
                response = await sse.request(row.method, path, headers=headers, follow_redirects=False)
            findings += [f"{Call(row, role)}: {w}" for w in judge(expect, response)]
    return findings


def _first_event(sse: AsyncTestClient[Any], path: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """Open a stream on the SSE app's own loop, read its first frame, hang up.

    The test client reads a response to its end, and an event stream has none.
    """

    async def read() -> tuple[int, str, bytes]:
        started: dict[str, Any] = {}
        first = bytearray()
        got = asyncio.Event()
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await got.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                first.extend(message.get("body", b""))
                if first or not message.get("more_body", False):
                    got.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        await asyncio.wait_for(sse.app(scope, receive, send), 10)
        media = next((v.decode() for k, v in started.get("headers", []) if k == b"content-type"), "")
        return int(started["status"]), media, bytes(first)

    return sse.blocking_portal.call(read)


def stale(rows: Iterable[Row], routes: set[tuple[str, str]]) -> list[str]:
    """Rows naming a route no app serves any more."""
    return sorted({f"{row.method} {row.route}" for row in rows if (row.method, row.route) not in routes})
