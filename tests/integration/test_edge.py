"""The edge both services share: security headers on every answer, CORS only for configured origins.

Request limits and secrets in logs are proven against real ``serve`` processes (tests/e2e).
"""

from typing import Any

from litestar.testing import AsyncTestClient

from sagopalgo.platform.http.security import API_CSP, DOCS_CSP, HSTS
from sagopalgo.platform.settings import load_settings
from sagopalgo.sse.app import create_app as create_sse_app
from tests.conftest import ApiFactory
from tests.integration.helpers import PNG, bearer, sign_up_and_in, upload_photo

ALWAYS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY"}


def assert_guarded(response: Any, *, csp: str | None = API_CSP, cache: str | None = "no-store") -> None:
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (where, name, dict(response.headers))
    assert response.headers.get("referrer-policy"), where
    if csp is not None:
        assert response.headers.get("content-security-policy") == csp, (where, response.headers)
    if cache is not None:
        assert response.headers.get("cache-control") == cache, (where, response.headers)
    assert "strict-transport-security" not in response.headers, where  # the tests' URL is http://


async def test_every_kind_of_api_answer_carries_the_security_headers(api: AsyncTestClient[Any]) -> None:
    _, tokens = await sign_up_and_in(api)
    auth = bearer(tokens["accessToken"])
    assert_guarded(await api.get("/api/v1/lots"))
    me = await api.get("/api/v1/me", headers=auth)
    assert me.status_code == 200
    assert_guarded(me)  # personal: never stored by a cache
    refresh = await api.post("/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert refresh.status_code == 200
    assert_guarded(refresh)  # tokens
    for response, status in (
        (await api.get("/api/v1/me"), 401),
        (await api.get("/api/v1/me", headers=bearer("not-a-token")), 401),
        (await api.get("/api/v1/nowhere"), 404),
        (await api.delete("/api/v1/lots"), 405),
        (await api.post("/api/v1/accounts", content=b"{" + b" " * 2_000_000 + b"}"), 413),
        # payments are off in these tests: their endpoints answer 503 UNAVAILABLE
        (await api.post("/api/v1/awards/1/checkout", headers=auth), 503),
    ):
        assert response.status_code == status, response.text
        assert_guarded(response)
    for path in ("/schema/openapi.json", "/health/live", "/health/ready"):
        assert_guarded(await api.get(path))
    for path in ("/schema", "/schema/swagger"):
        docs = await api.get(path)
        assert docs.status_code == 200
        assert docs.headers["content-type"].startswith("text/html")
        assert_guarded(docs, csp=DOCS_CSP)
    key = await upload_photo(api, tokens["accessToken"])
    if not api.app.state.settings.s3_bucket:  # the embedded store serves the photo itself
        photo = await api.get(f"/media/{key}")
        assert photo.content == PNG
        assert_guarded(photo, cache="public, max-age=31536000, immutable")  # the route's own


async def test_web_pages_keep_their_own_policy(api: AsyncTestClient[Any]) -> None:
    for path in ("/", "/signin", "/no-such-page"):
        page = await api.get(path, headers={"Accept": "text/html"})
        assert page.headers["content-type"].startswith("text/html"), path
        assert_guarded(page, csp=None)
        assert "script-src 'self'" in page.headers["content-security-policy"], path
        assert page.headers["referrer-policy"] == "same-origin"
    static = await api.get("/static/web/htmx.min.js")
    assert static.status_code == 200
    assert_guarded(static, cache="max-age=3600, public")


async def test_strict_transport_security_only_when_the_public_url_is_https(api_factory: ApiFactory) -> None:
    async with api_factory(public_base_url="https://sagopalgo.example") as api:
        for path in ("/api/v1/lots", "/nowhere", "/"):
            assert (await api.get(path)).headers["strict-transport-security"] == HSTS, path
    settings = load_settings({}, sse_public_url="https://live.sagopalgo.example")
    async with AsyncTestClient(app=create_sse_app(settings)) as sse:
        assert (await sse.get("/health/live")).headers["strict-transport-security"] == HSTS


async def test_the_sse_service_answers_with_the_same_headers(deployment: dict[str, Any]) -> None:
    async with AsyncTestClient(app=create_sse_app(load_settings({}, **deployment))) as sse:
        assert_guarded(await sse.get("/health/live"))
        assert_guarded(await sse.get("/schema/openapi.json"))
        assert_guarded(await sse.get("/schema"), csp=DOCS_CSP)
        for last_event_id, status in (("", 404), ("not-an-id", 400)):
            headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
            response = await sse.get("/sse/v1/lots/987654321/events", headers=headers)
            assert response.status_code == status
            assert_guarded(response)
        assert_guarded(await sse.post("/sse/v1/lots/1/events"))  # 405


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-request-id",
    }


ALLOWED, PAGES, OTHER = "https://shop.example", "https://sagopalgo.example", "https://evil.example"


async def _assert_cors(
    client: AsyncTestClient[Any], path: str, allowed: list[str], refused: list[str]
) -> None:
    for origin in allowed:
        simple = await client.get(path, headers={"Origin": origin})
        assert simple.headers.get("access-control-allow-origin") == origin, (path, origin)
        preflight = await client.options(path, headers=_preflight(origin))
        assert preflight.status_code in (200, 204), preflight.text
        assert preflight.headers.get("access-control-allow-origin") == origin, (path, origin)
        for response in (simple, preflight):
            assert "access-control-allow-credentials" not in response.headers
    for origin in refused:
        simple = await client.get(path, headers={"Origin": origin})
        assert "access-control-allow-origin" not in simple.headers, (path, origin)
        preflight = await client.options(path, headers=_preflight(origin))
        assert "access-control-allow-origin" not in preflight.headers, (path, origin)


async def test_cors_only_for_configured_origins_on_both_services(
    api_factory: ApiFactory, deployment: dict[str, Any]
) -> None:
    async with api_factory(cors_origins=(ALLOWED,), public_base_url=PAGES) as api:
        # the pages are the API's own origin: same-origin, no CORS needed, none given
        await _assert_cors(api, "/api/v1/lots", [ALLOWED], [OTHER, PAGES, "null"])
    async with api_factory() as api:  # nothing configured: no browser elsewhere may call it
        await _assert_cors(api, "/api/v1/lots", [], [ALLOWED, OTHER])
    settings = load_settings({}, **deployment, cors_origins=(ALLOWED,), public_base_url=PAGES)
    async with AsyncTestClient(app=create_sse_app(settings)) as sse:
        # the web pages open their EventSource from the API's origin; configured origins too
        await _assert_cors(sse, "/sse/v1/lots/987654321/events", [PAGES, ALLOWED], [OTHER, "null"])
        await _assert_cors(sse, "/health/live", [PAGES], [OTHER])
    async with AsyncTestClient(app=create_sse_app(load_settings({}, **deployment))) as sse:
        pages = "http://127.0.0.1:8000"  # the default public URL
        await _assert_cors(sse, "/sse/v1/lots/987654321/events", [pages], [ALLOWED, "http://127.0.0.1:8001"])
