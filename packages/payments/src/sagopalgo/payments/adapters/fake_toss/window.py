"""The sandbox's checkout window: the page a buyer sees instead of Toss's, for the demo's browser.

``GET /_test/window?orderId&orderName&amount&successUrl&failUrl`` shows the order with "pay",
"cancel" and "declined card" buttons; the form posts back here and the answer is Toss's redirect:
to ``successUrl?paymentType=NORMAL&amount&orderId&paymentKey`` after ``FakeToss.authenticate``,
or to ``failUrl?code&message&orderId`` (TOSS.md §2). Like the other ``/_test/`` endpoints it needs
no key: it stands in for the buyer's own window.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from sagopalgo.payments.adapters.fake_toss.asgi import Send, respond
from sagopalgo.payments.adapters.fake_toss.ledger import TossError

if TYPE_CHECKING:
    from sagopalgo.payments.adapters.fake_toss.app import FakeToss

__all__ = ["serve_window"]

_FIELDS = ("orderId", "orderName", "amount", "customerKey", "successUrl", "failUrl")


async def serve_window(fake: FakeToss, method: str, query: bytes, body: bytes, send: Send) -> None:
    if method == "GET":
        data = _form(query)
        if not _redirectable(data):
            await respond(send, 400, b"successUrl and failUrl must be http(s) URLs", "text/plain")
            return
        await respond(send, 200, _page(data).encode(), "text/html; charset=utf-8")
        return
    if method != "POST":
        await respond(send, 405, b"", "text/plain")
        return
    data = _form(body)
    if not _redirectable(data):
        await respond(send, 400, b"successUrl and failUrl must be http(s) URLs", "text/plain")
        return
    action, order_id = data.get("action"), data.get("orderId", "")
    if action == "pay":
        try:
            amount = data.get("amount", "")
            if not amount.isdigit():
                raise TossError("INVALID_REQUEST")
            done = fake.authenticate(order_id, int(amount), data.get("orderName") or "Sagopalgo order")
            target = _join(data["successUrl"], done.success_query)
        except TossError as refused:
            failed = fake.fail_checkout(order_id, refused.code)
            target = _join(data["failUrl"], failed.fail_query)
    else:
        code = "REJECT_CARD_COMPANY" if action == "decline" else "PAY_PROCESS_CANCELED"
        target = _join(data["failUrl"], fake.fail_checkout(order_id, code).fail_query)
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", target.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}


def _redirectable(data: dict[str, str]) -> bool:
    """Only http(s) targets: the window must never become a way to run ``javascript:`` URLs."""
    return all(data.get(k, "").startswith(("http://", "https://")) for k in ("successUrl", "failUrl"))


def _join(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _page(data: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(data.get(k, ""))}">' for k in _FIELDS
    )
    amount = data.get("amount", "")
    shown = f"{int(amount):,}원" if amount.isdigit() else html.escape(amount)
    name = html.escape(data.get("orderName", ""))
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>토스페이먼츠 샌드박스</title>
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:1rem}}
.box{{border:1px solid #ccd;border-radius:12px;padding:1rem}}button{{display:block;width:100%;margin:.5rem 0;
padding:.7rem;border:0;border-radius:8px;font-size:1rem}}.pay{{background:#3182f6;color:#fff}}</style></head>
<body><div class="box">
<p>토스페이먼츠 <strong>샌드박스</strong> — 테스트 결제창입니다. 실제로 결제되지 않습니다.</p>
<h1>{name}</h1><p>결제 금액 <strong id="amount">{shown}</strong></p>
<form method="post" action="/_test/window">{hidden}
<button class="pay" name="action" value="pay">결제하기</button>
<button name="action" value="decline">카드사 거절 (테스트)</button>
<button name="action" value="cancel">취소</button>
</form></div></body></html>"""
