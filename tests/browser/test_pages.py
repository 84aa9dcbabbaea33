"""In Chromium, on the one-command run: browse, watch two browsers bid live, sell with a photo, pay."""

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from sagopalgo.cli.demo import DEMO_USERS
from sagopalgo.cli.demo_lots import WON, png
from sagopalgo.kernel.clock import SEOUL
from tests.browser.conftest import ARTIFACTS, PHONE, Demo, Visitors

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SELLER, BIDDER1, BIDDER2 = DEMO_USERS[1], DEMO_USERS[2], DEMO_USERS[3]


def _open_lot(demo: Demo) -> dict[str, Any]:
    """An open demo lot nobody else in these tests bids on (the cheapest, by its start price)."""
    lots = httpx.get(f"{demo.api}/api/v1/lots", params={"status": "OPEN", "sort": "priceAsc"}).json()
    lot: dict[str, Any] = lots["items"][0]
    return lot


def test_the_main_pages_render_without_a_single_console_error(visitors: Visitors, demo: Demo) -> None:
    guest = visitors()
    guest.page.goto("/")
    expect(guest.page.locator("h1")).to_have_text(re.compile("경매"))
    expect(guest.page.locator("[data-lot-card]").first).to_be_visible()
    guest.shot("home")
    guest.page.goto("/search?status=OPEN")
    expect(guest.page.get_by_test_id("total")).to_have_text(re.compile(r"\d+건"))
    guest.page.select_option("select[name=sort]", "priceDesc")  # htmx swaps the results in place
    expect(guest.page).to_have_url(re.compile(r"sort=priceDesc"))
    guest.page.fill("input[name=q]", "청자")
    guest.page.press("input[name=q]", "Enter")
    expect(guest.page.get_by_test_id("total")).to_have_text("1건")
    expect(guest.page.locator("[data-lot-card] h3")).to_have_text(["고려 청자 상감 운학문 매병"])
    guest.shot("search")
    guest.page.goto("/signup")
    guest.shot("signup")
    phone = visitors(viewport=PHONE, is_mobile=True)
    phone.page.goto("/")
    phone.shot("home-phone")


def test_two_browsers_on_one_lot_see_a_bid_and_its_history_within_a_second(
    visitors: Visitors, demo: Demo
) -> None:
    lot = _open_lot(demo)
    first, second = visitors(), visitors(viewport=PHONE, is_mobile=True)
    first.sign_in(BIDDER1.email, BIDDER1.password)
    second.sign_in(BIDDER2.email, BIDDER2.password)
    for who in (first, second):
        who.page.goto(f"/lots/{lot['id']}")
        expect(who.page.locator("#lot")).to_have_attribute("data-live", "true")  # the stream is open
    expect(first.page.locator("#countdown")).to_have_text(re.compile(r"마감까지 \d\d:\d\d:\d\d"))

    minimum = int(first.page.locator("#minimum-bid").get_attribute("data-amount") or 0)
    count = int(second.page.locator("#lot").get_attribute("data-bid-count") or 0)
    stale = second.page.locator("#bid-amount").input_value()
    shown, counted = f"{minimum:,}원", f"{count + 1}회"
    # The second browser notes when its bid count moves, by its own clock (no polling delay).
    second.page.evaluate(
        """(expected) => new MutationObserver((_, observer) => {
             if (document.getElementById("bid-count").textContent === expected) {
               window.__changedAt = Date.now(); observer.disconnect();
             }
           }).observe(document.getElementById("bid-count"),
                      {childList: true, characterData: true, subtree: true})""",
        counted,
    )
    first.page.fill("#bid-amount", str(minimum))
    clicked = time.time()
    first.page.click(".bid-form button[type=submit]")
    expect(second.page.locator("#bid-count")).to_have_text(counted)
    took = second.page.evaluate("window.__changedAt") / 1000 - clicked
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "live-bid-latency.txt").write_text(f"bid -> other browser: {took:.3f} s\n")
    assert took < 1.0, f"the other browser saw the bid after {took:.3f} s"
    expect(second.page.locator("#price")).to_have_text(shown)
    expect(second.page.locator("#history-rows tr").first).to_contain_text(shown)
    expect(second.page.locator("#history-rows tr").first).to_contain_text("입찰자")
    expect(first.page.get_by_test_id("bid-message")).to_contain_text("입찰했습니다")
    first.shot("lot-after-bid")

    # The second bidder still has the old minimum in the box: the house refuses it, and says why.
    assert int(stale) == minimum
    second.page.click(".bid-form button[type=submit]")
    refusal = second.page.get_by_test_id("bid-message")
    expect(refusal).to_have_attribute("data-code", "BID_TOO_LOW")
    expect(refusal).to_contain_text(f"입찰가가 너무 낮습니다. {minimum + int(lot['bidIncrement']):,}원 이상")
    second.shot("lot-refused-bid-phone")


def test_selling_uploads_the_photo_while_the_form_is_filled(
    visitors: Visitors, demo: Demo, tmp_path: Path
) -> None:
    photo = tmp_path / "청자.png"
    photo.write_bytes(png((30, 120, 110), size=240))
    seller = visitors()
    seller.page.goto("/signup?next=/sell")
    tag = str(time.time_ns())[-8:]
    seller.page.fill("input[name=email]", f"seller{tag}@example.com")
    seller.page.fill("input[name=username]", f"seller{tag}")
    seller.page.fill("input[name=password]", "a-long-enough-password")
    seller.page.click("form button[type=submit]")
    expect(seller.page).to_have_url(re.compile(r"/sell$"))

    seller.page.set_input_files("#photo-input", str(photo))  # the upload starts now ...
    seller.page.fill("input[name=title]", "청자 상감 국화문 잔")  # ... while the rest is typed
    seller.page.fill("textarea[name=description]", "고려, 12세기. 입술 수리.")
    seller.page.select_option("select[name=categoryId]", label="도자기")
    seller.page.fill("input[name=startPrice]", "150,000")
    seller.page.fill("input[name=bidIncrement]", "10000")
    tomorrow = (datetime.now(SEOUL) + timedelta(days=1)).date().isoformat()
    seller.page.fill("input[name=auctionDay]", tomorrow)
    expect(seller.page.locator("#uploads li.done")).to_have_count(1)
    expect(seller.page.locator("#uploads progress")).to_have_attribute("value", "100")
    seller.shot("sell")
    seller.page.click("#sell-submit")

    expect(seller.page).to_have_url(re.compile(r"/lots/\d+$"))
    expect(seller.page.locator("#alerts")).to_contain_text("물품을 등록했습니다")
    expect(seller.page.locator("h1")).to_have_text("청자 상감 국화문 잔")
    assert seller.page.eval_on_selector("#main-photo", "img => img.complete && img.naturalWidth") == 240
    seller.shot("lot-listed")


def test_the_winner_pays_in_the_sandbox_and_sees_the_lot_paid(visitors: Visitors, demo: Demo) -> None:
    winner = visitors()
    winner.sign_in(BIDDER1.email, BIDDER1.password)
    winner.page.goto("/me/awards")
    award = winner.page.locator(".awards li", has_text=WON.title)
    expect(award.get_by_test_id("award-status")).to_have_text("결제 대기")
    winner.shot("my-awards")
    award.get_by_role("button", name="결제하기").click()
    expect(winner.page.locator("#checkout")).to_contain_text(f"{WON.start_price:,}원")
    winner.shot("checkout")

    winner.page.click("#open-checkout")  # Toss's window: here the demo's sandbox, on its own origin
    expect(winner.page.locator("#amount")).to_have_text(f"{WON.start_price:,}원")
    winner.shot("sandbox-window")
    winner.page.get_by_role("button", name="결제하기").click()

    expect(winner.page).to_have_url(re.compile(r"/pay/success\?"))
    result = winner.page.get_by_test_id("pay-result")
    expect(result).to_have_attribute("data-status", "PAID")
    expect(result).to_have_text("결제가 완료되었습니다.")
    winner.shot("paid")
    winner.page.click("#paid-lot")
    expect(winner.page.locator("#status")).to_have_text("결제 완료")
    winner.page.goto("/me/awards")
    expect(award.get_by_test_id("award-status")).to_have_text("결제 완료")
    expect(award.get_by_role("button", name="결제하기")).to_have_count(0)


def _scheduled_lot(demo: Demo, title: str) -> tuple[int, dict[str, str]]:
    """A lot the demo's seller lists for tomorrow over the API, and the seller's credentials."""
    with httpx.Client(base_url=demo.api, timeout=30) as api:
        pair = api.post("/api/v1/auth/token", json={"email": SELLER.email, "password": SELLER.password})
        auth = {"Authorization": f"Bearer {pair.json()['accessToken']}"}
        photo = png((120, 90, 40), size=64)
        ticket = api.post(
            "/api/v1/uploads/images", json={"contentType": "image/png", "size": len(photo)}, headers=auth
        )
        assert ticket.status_code == 201, ticket.text
        sent = httpx.post(
            ticket.json()["uploadUrl"],
            data=ticket.json()["fields"],
            files={"file": ("p.png", photo, "image/png")},
        )
        assert sent.status_code in (200, 201, 204), sent.text
        category = api.get("/api/v1/categories").json()[0]["id"]
        tomorrow = (datetime.now(SEOUL) + timedelta(days=1)).date().isoformat()
        body = {
            "title": title,
            "description": "",
            "categoryId": category,
            "startPrice": 50_000,
            "bidIncrement": 5_000,
            "auctionDay": tomorrow,
            "imageKeys": [ticket.json()["key"]],
        }
        created = api.post("/api/v1/lots", json=body, headers=auth)
        assert created.status_code == 201, created.text
        return int(created.json()["id"]), auth


def _withdraw(demo: Demo, lot: int, auth: dict[str, str]) -> None:
    assert httpx.delete(f"{demo.api}/api/v1/lots/{lot}", headers=auth).status_code == 204


def test_a_page_open_on_a_lot_shows_its_withdrawal_in_place(visitors: Visitors, demo: Demo) -> None:
    lot, seller = _scheduled_lot(demo, "백자 철화 초문 병")
    guest = visitors()
    guest.page.goto(f"/lots/{lot}")
    expect(guest.page.locator("#lot")).to_have_attribute("data-live", "true")
    expect(guest.page.locator("#status")).to_have_text("경매 예정")
    guest.page.evaluate("window.__samePage = true")  # gone if the page reloaded

    _withdraw(demo, lot, seller)
    expect(guest.page.locator("#status")).to_have_text("등록 취소")
    expect(guest.page.get_by_test_id("withdrawn-note")).to_have_text(
        "판매자가 등록을 취소한 물품입니다. 경매가 열리지 않습니다."
    )
    expect(guest.page.locator("#countdown")).to_have_text("등록 취소")
    assert guest.page.evaluate("window.__samePage") is True
    guest.shot("lot-withdrawn")


def test_a_page_whose_stream_missed_the_withdrawal_learns_of_it_when_the_stream_is_refused(
    visitors: Visitors, demo: Demo
) -> None:
    """The page was sent just before the withdrawal; its stream then finds the lot gone (404)."""
    lot, seller = _scheduled_lot(demo, "분청사기 박지 모란문 편병")
    guest = visitors()

    def withdrawn_first(route: Any) -> None:
        _withdraw(demo, lot, seller)  # the page is there; the stream's request waits for this
        route.continue_()

    guest.page.route(f"{demo.sse}/sse/v1/lots/{lot}/events", withdrawn_first, times=1)
    guest.page.goto(f"/lots/{lot}")
    expect(guest.page.locator("#status")).to_have_text("등록 취소")
    expect(guest.page.get_by_test_id("withdrawn-note")).to_be_visible()
