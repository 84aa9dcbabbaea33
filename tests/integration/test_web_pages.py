"""The web pages over HTTP on both deployments: the same use cases as the API, in Korean, with the
security a browser needs (session cookie, CSRF on every form, escaping, a Content-Security-Policy).

The real-browser tests (live price, photo upload, the sandbox payment) are in tests/browser.
"""

import asyncio
import re
from datetime import date
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from sagopalgo.kernel.clock import ManualClock
from tests.conftest import ApiFactory
from tests.integration.helpers import (
    PNG,
    account_rows,
    bearer,
    lot_body,
    new_category,
    send_file,
    upload_photo,
)
from tests.integration.payments_helpers import running_fake, toss_settings, won_awards
from tests.integration.test_auction_day import Day, kst
from tests.integration.web_helpers import Web, alerts


def _cookie(response: httpx.Response, name: str) -> str:
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert found, response.headers
    return found[0]


# ------------------------------------------------------------------ pages and headers
async def test_the_main_page_is_korean_by_the_hour_in_seoul_with_a_strict_policy(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    page = await api.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="ko">' in page.text
    assert "지금 진행 중인 경매" in page.text  # 10:00 KST
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self' http://127.0.0.1:8001" in policy  # the SSE service
    assert (page.headers["x-content-type-options"], page.headers["cache-control"]) == ("nosniff", "no-store")
    clock.set(kst(date(2026, 11, 25), 19))
    assert "오늘 마감된 경매" in (await api.get("/")).text
    clock.set(kst(date(2026, 11, 26), 8))
    assert "오늘 열리는 경매" in (await api.get("/")).text
    assert (await api.get("/static/web/htmx.min.js")).status_code == 200


async def test_an_unknown_lot_or_address_is_a_korean_404_page(api: AsyncTestClient[Any]) -> None:
    missing = await api.get("/lots/987654321")
    assert missing.status_code == 404
    assert alerts(missing.text) == ["찾는 페이지나 물품이 없습니다."]
    assert "content-security-policy" in missing.headers  # error pages carry the policy too
    nowhere = await api.get("/no/such/page")
    assert (nowhere.status_code, nowhere.headers["content-type"][:9]) == (404, "text/html")
    assert alerts(nowhere.text) == ["찾는 페이지나 물품이 없습니다."]
    assert (await api.get("/api/v1/no-such-thing")).headers["content-type"] == "application/problem+json"


# ------------------------------------------------------------------ accounts and the session
async def test_sign_up_in_and_out_with_an_httponly_session_cookie(api: AsyncTestClient[Any]) -> None:
    web = Web(api)
    await web.get("/signup")
    tag = "s" + str(id(web))[-8:]
    signed = await web.post(
        "/signup",
        {"email": f"{tag}@example.com", "username": tag, "password": "long-enough-pw", "next": "/me/bids"},
    )
    assert (signed.status_code, signed.headers["location"]) == (303, "/me/bids")
    cookie = _cookie(signed, "sagopalgo_session")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # served over plain HTTP here
    assert "Max-Age=1209600" in cookie  # the refresh token's 14 days (the original's: 68 years)
    mine = await web.get("/me/bids")
    assert mine.status_code == 200
    assert f"{tag} · 로그아웃" in mine.text
    assert "환영합니다" in mine.text

    saved = dict(api.cookies)
    out = await web.post("/signout")
    assert (out.status_code, out.headers["location"]) == (303, "/")
    gone = await web.get("/me/bids")
    assert (gone.status_code, gone.headers["location"]) == (303, "/signin?next=/me/bids")
    # The old cookie, replayed, names a session that has ended: it signs nobody in.
    for name, value in saved.items():
        api.cookies.set(name, value)
    assert (await web.get("/me/bids")).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    api: AsyncTestClient[Any],
) -> None:
    web = Web(api)
    ident = await web.sign_up()
    web.forget_cookies()
    before = await account_rows(api)
    refused = await api.post("/signin", data={"email": ident["email"], "password": ident["password"]})
    assert refused.status_code == 403
    assert alerts(refused.text) == ["보안 토큰이 맞지 않습니다. 페이지를 새로고침한 뒤 다시 시도하세요."]
    assert await account_rows(api) == before
    # Another browser's token is no good either: it must match this browser's own cookie.
    other = Web(api)
    await other.get("/signin")
    stolen = other.token
    web.forget_cookies()
    await web.get("/signin")
    crossed = await api.post(
        "/signin", data={"_csrf_token": stolen + "x", "email": ident["email"], "password": ident["password"]}
    )
    assert crossed.status_code == 403


async def test_cookies_are_secure_when_the_site_is_served_over_https(api_factory: ApiFactory) -> None:
    async with api_factory(public_base_url="https://sagopalgo.example") as api:
        web = Web(api)
        page = await web.get("/signup")
        assert "Secure" in _cookie(page, "sagopalgo_csrf")
        tag = "h" + str(id(web))[-8:]
        # The test client speaks plain HTTP, so it would not send a Secure cookie back: by hand.
        csrf = _cookie(page, "sagopalgo_csrf").split(";")[0]
        api.cookies.clear()
        signed = await api.post(
            "/signup",
            data={
                "_csrf_token": web.token,
                "email": f"{tag}@example.com",
                "username": tag,
                "password": "long-enough-pw",
            },
            headers={"Cookie": csrf},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        assert "Secure" in _cookie(signed, "sagopalgo_session")


async def test_sign_in_and_sign_up_refusals_are_korean_and_keep_what_was_typed(
    api: AsyncTestClient[Any],
) -> None:
    web = Web(api)
    ident = await web.sign_up()
    web.forget_cookies()
    wrong = await web.sign_in({**ident, "password": "not-the-password"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "text/html; charset=utf-8"  # the original's 401 had none
    assert alerts(wrong.text) == ["이메일 또는 비밀번호가 올바르지 않습니다."]
    assert f'value="{ident["email"]}"' in wrong.text
    taken = await web.post("/signup", {**ident, "username": "someone-else"})
    assert taken.status_code == 409
    assert alerts(taken.text) == ["이미 가입된 이메일입니다."]
    short = await web.post("/signup", {"email": "x@example.com", "username": "xx", "password": "short"})
    assert short.status_code == 400
    assert "비밀번호는 10자 이상으로 입력하세요." in short.text
    elsewhere = await web.sign_in(ident, next_path="//evil.example/steal")
    assert (elsewhere.status_code, elsewhere.headers["location"]) == (303, "/")


# ------------------------------------------------------------------ a lot and its bids
async def _open_lot(
    api: AsyncTestClient[Any], clock: ManualClock, day: date, **overrides: Any
) -> tuple[Day, int]:
    d = Day(api, clock, day)
    (lot,) = await d.setup(1, **overrides)
    clock.set(kst(day, 9))
    d.admin = await d.token_of(d.admin_ident)
    await d.run("open")
    return d, lot


async def test_a_lot_page_escapes_what_sellers_write_and_bids_answer_in_korean(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    day, lot = await _open_lot(
        api,
        clock,
        date(2031, 6, 2),
        title="<script>alert(1)</script> 백자",
        description='<img src=x onerror="x">',
    )
    web = Web(api)
    anonymous = await web.get(f"/lots/{lot}")
    assert anonymous.status_code == 200
    assert "<script>alert(1)" not in anonymous.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 백자" in anonymous.text
    assert '<img src=x onerror="x">' not in anonymous.text
    assert 'data-sse-url="http://127.0.0.1:8001/sse/v1/lots/' in anonymous.text
    assert "로그인</a>하면 입찰할 수 있습니다" in anonymous.text
    assert (await web.post(f"/lots/{lot}/bids", {"amount": "10000"})).headers["location"] == "/signin?next=/"

    await web.sign_in(day.bidders[0])
    placed = await web.post(f"/lots/{lot}/bids", {"amount": "10,000"}, htmx=True)
    assert placed.status_code == 200
    assert "<html" not in placed.text  # the panel only: htmx swaps it in place
    assert alerts(placed.text) == ["10,000원에 입찰했습니다. 지금 최고 입찰자입니다."]
    assert 'data-amount="11000"' in placed.text  # the next minimum bid

    web.forget_cookies()
    await web.sign_in(day.bidders[1])
    low = await web.post(f"/lots/{lot}/bids", {"amount": "10500"}, htmx=True)
    assert low.status_code == 409
    assert alerts(low.text) == ["입찰가가 너무 낮습니다. 11,000원 이상으로 입찰하세요."]
    assert 'value="10500"' in low.text  # what the bidder typed stays
    junk = await web.post(f"/lots/{lot}/bids", {"amount": "만원"})
    assert junk.status_code == 400
    assert "입찰가를 원 단위 숫자로 입력하세요." in alerts(junk.text)
    assert "<html" in junk.text  # without htmx: the whole page, with its message

    history = await api.get(f"/lots/{lot}/history")
    assert re.findall(r"<td>([^<]+)</td>", history.text)[:2] == ["10,000원", "입찰자 1"]

    web.forget_cookies()
    await web.sign_in(day.seller_ident)
    own_page = await web.get(f"/lots/{lot}")
    assert "내가 등록한 물품입니다." in own_page.text
    own = await web.post(f"/lots/{lot}/bids", {"amount": "50000"}, htmx=True)
    assert own.status_code == 403
    assert alerts(own.text) == ["내가 등록한 물품에는 입찰할 수 없습니다."]


async def _until_found(api: AsyncTestClient[Any], path: str, expected: str) -> str:
    """The search index follows the catalog within about a second: ask until it has."""
    for _ in range(200):
        page = await api.get(path)
        if expected in page.text:
            return page.text
        await asyncio.sleep(0.025)
    raise AssertionError(f"{expected!r} never appeared on {path}:\n{page.text}")


async def test_search_finds_korean_words_filters_and_counts_facets(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    day = date(2031, 6, 9)
    d = Day(api, clock, day)
    await d.setup(2)
    other = (await new_category(api, d.admin))["id"]
    key = await upload_photo(api, d.seller)
    body = lot_body(other, [key], day.isoformat(), title="분청사기 철화 어문 장군", startPrice=5_000_000)
    created = await api.post("/api/v1/lots", json=body, headers=bearer(d.seller))
    assert created.status_code == 201, created.text

    web = Web(api)
    text = await _until_found(api, f"/search?auctionDay={day.isoformat()}&sort=priceDesc", "3건")
    assert f'data-facet="category-{d.category}">2<' in text
    assert f'data-facet="category-{other}">1<' in text
    assert 'data-facet="status-SCHEDULED">3<' in text
    words = await web.get(f"/search?q=분청사기를&auctionDay={day.isoformat()}")  # a particle is ignored
    assert 'data-testid="total">1건' in words.text
    assert "분청사기 철화 어문 장군" in words.text
    narrowed = await api.get(
        f"/search?auctionDay={day.isoformat()}&categoryId={d.category}&maxPrice=1,000,000",
        headers={"HX-Request": "true"},
    )
    assert "<html" not in narrowed.text  # the results only: htmx swaps them in place
    assert 'data-testid="total">2건' in narrowed.text
    everything = await api.get("/search?q=&categoryId=&status=&auctionDay=&minPrice=&maxPrice=&sort=")
    assert everything.status_code == 200  # the form's "all" sends empty fields
    bad = await api.get("/search?categoryId=abc")
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/html")
    assert alerts(bad.text) == ["카테고리를 목록에서 고르세요."]
    for unknown in ("status=SLEEPING", "sort=viewCount"):  # the original's invalid status was a 500
        refused = await api.get(f"/search?{unknown}")
        assert (refused.status_code, refused.headers["content-type"]) == (400, "text/html; charset=utf-8")
        assert len(alerts(refused.text)) == 1, unknown
    upside_down = await api.get("/search?minPrice=20000&maxPrice=10000")
    assert (upside_down.status_code, alerts(upside_down.text)) == (
        400,
        ["최고가를 원 단위 숫자로, 최저가보다 작지 않게 입력하세요."],
    )


# ------------------------------------------------------------------ selling
async def test_selling_uploads_the_photo_first_then_lists_the_lot(
    api: AsyncTestClient[Any], clock: ManualClock
) -> None:
    admin_day = Day(api, clock, date(2031, 6, 16))
    await admin_day.setup(0)  # an admin and a category
    clock.set(kst(date(2026, 11, 25), 10))
    web = Web(api)
    await web.sign_up()
    form = await web.get("/sell")
    assert form.status_code == 200
    assert 'min="2026-11-26"' in form.text  # 10:00 KST: today's bidding has opened

    refused_type = await api.post(
        "/sell/uploads",
        json={"contentType": "image/gif", "size": 10},
        headers={"x-csrftoken": web.token, "Accept": "application/json"},
    )
    assert refused_type.status_code == 415
    assert refused_type.json()["detail"] == "JPEG, PNG, WebP 사진만 올릴 수 있습니다."
    ticket = await api.post(
        "/sell/uploads",
        json={"contentType": "image/png", "size": len(PNG)},
        headers={"x-csrftoken": web.token, "Accept": "application/json"},
    )
    assert ticket.status_code == 201, ticket.text
    assert await send_file(api, ticket.json(), PNG) == 204

    fields = {
        "title": "나전칠기 함",
        "description": "통영",
        "categoryId": str(admin_day.category),
        "startPrice": "300,000",
        "bidIncrement": "10000",
        "auctionDay": "2026-11-27",
        "extendedBidding": "on",
    }
    missing_photo = await web.post("/sell", fields)
    assert missing_photo.status_code == 400
    assert "사진을 1~10장 올려 주세요 (같은 사진은 한 번만)." in alerts(missing_photo.text)
    assert 'value="나전칠기 함"' in missing_photo.text

    listed = await web.post("/sell", {**fields, "imageKeys": ticket.json()["key"]})
    assert listed.status_code == 303, listed.text
    lot_page = await web.get(listed.headers["location"])
    assert "물품을 등록했습니다. 경매일 09:00에 입찰이 시작됩니다." in alerts(lot_page.text)
    assert ticket.json()["key"] in lot_page.text
    lot = (await api.get("/api/v1" + listed.headers["location"])).json()
    assert (lot["startPrice"], lot["auctionDay"], lot["extendedBidding"]) == (300_000, "2026-11-27", True)


# ------------------------------------------------------------------ paying
async def test_the_winner_pays_in_the_sandbox_window_and_sees_the_lot_paid(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    with running_fake() as fake:
        async with api_factory(**toss_settings(fake)) as api:
            won = await won_awards(api, clock, date(2031, 6, 23), lots=2)
            web = Web(api)
            await web.sign_in(won.day.bidders[0])
            mine = await web.get("/me/awards")
            assert mine.text.count("결제 대기") == 2

            # Cancel in the window first: back on our fail page, nothing charged, still due.
            checkout = await web.post(f"/me/awards/{won.awards[1]}/pay")
            window_url = re.search(r'href="([^"]+)" id="open-checkout"', checkout.text)
            assert window_url is not None
            async with httpx.AsyncClient(timeout=10) as browser:
                window = await browser.get(window_url.group(1).replace("&amp;", "&"))
                assert "결제하기" in window.text
                hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', window.text))
                cancelled = await browser.post(
                    f"{fake.base_url}/_test/window", data={**hidden, "action": "cancel"}
                )
            assert cancelled.status_code == 303
            fail = await web.get(
                cancelled.headers["location"].removeprefix(api.app.state.settings.api_base_url)
            )
            assert alerts(fail.text) == ["결제를 취소했습니다."]

            checkout = await web.post(f"/me/awards/{won.awards[0]}/pay")
            assert checkout.status_code == 200
            assert "10,000원" in checkout.text
            window_url = re.search(r'href="([^"]+)" id="open-checkout"', checkout.text)
            assert window_url is not None
            async with httpx.AsyncClient(timeout=10) as browser:
                window = await browser.get(window_url.group(1).replace("&amp;", "&"))
                hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', window.text))
                paid = await browser.post(f"{fake.base_url}/_test/window", data={**hidden, "action": "pay"})
            back = paid.headers["location"]
            assert back.startswith(api.app.state.settings.api_base_url + "/pay/success?paymentType=NORMAL")
            success = await web.get(back.removeprefix(api.app.state.settings.api_base_url))
            assert 'hx-post="/pay/confirm" hx-trigger="load"' in success.text
            form = dict(re.findall(r'name="(paymentKey|orderId|amount)" value="([^"]*)"', success.text))
            confirmed = await web.post("/pay/confirm", form, htmx=True)
            assert confirmed.status_code == 200, confirmed.text
            assert alerts(confirmed.text) == ["결제가 완료되었습니다."]
            again = await web.post("/pay/confirm", form, htmx=True)
            assert (again.status_code, alerts(again.text)) == (409, ["이미 결제가 끝난 낙찰입니다."])

            mine = await web.get("/me/awards")
            assert (mine.text.count("결제 완료"), mine.text.count("결제 대기")) == (1, 1)
            lot_page = await web.get(f"/lots/{won.lots[0]}")
            assert 'id="status">결제 완료</span>' in lot_page.text


async def test_in_production_the_checkout_page_runs_tosss_sdk(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    keys = {
        "toss_secret_key": "test_sk_production_like_0000",
        "toss_client_key": "test_ck_production_like_0000",
    }
    async with api_factory(**keys) as api:
        won = await won_awards(api, clock, date(2031, 6, 30))
        web = Web(api)
        await web.sign_in(won.day.bidders[0])
        checkout = await web.post(f"/me/awards/{won.awards[0]}/pay")
        assert checkout.status_code == 200
        assert '<script src="https://js.tosspayments.com/v2/standard"></script>' in checkout.text
        assert 'data-client-key="test_ck_production_like_0000"' in checkout.text
        assert "https://js.tosspayments.com" in checkout.headers["content-security-policy"]
        assert "_test/window" not in checkout.text
        # Every other page keeps the strict policy.
        assert "tosspayments" not in (await web.get("/me/awards")).headers["content-security-policy"]
