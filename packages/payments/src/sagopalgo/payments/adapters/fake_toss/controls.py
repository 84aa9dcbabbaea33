"""The fake's test-only HTTP endpoints under ``/_test/`` (no auth): the buyer's browser, and knobs.

Each endpoint calls the ``FakeToss`` method of the same purpose, so tests in-process and a demo
page out of process steer the fake the same way.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sagopalgo.payments.adapters.fake_toss.asgi import decode, encode
from sagopalgo.payments.adapters.fake_toss.codes import error_body
from sagopalgo.payments.adapters.fake_toss.ledger import TossError
from sagopalgo.payments.adapters.fake_toss.values import Fault

if TYPE_CHECKING:
    from sagopalgo.payments.adapters.fake_toss.app import FakeToss

__all__ = ["handle"]


def handle(fake: FakeToss, method: str, path: list[str], body: bytes) -> tuple[int, bytes, str]:
    """The test-only endpoints.

    - ``POST /_test/checkout {orderId, amount, orderName?}`` → ``{paymentKey}`` (``READY``)
    - ``POST /_test/authenticate {orderId, amount, orderName?, paymentKey?}`` →
      ``{paymentKey, orderId, amount, paymentType, successQuery}``; with ``fail: {code?,
      message?}`` → ``{code, message, orderId, failQuery}``
    - ``GET /_test/clock`` → ``{now}``; ``POST /_test/clock {advanceSeconds | now}``
    - ``POST /_test/faults {code?, delay?, hold?, stage?, times?, method?, path?}``;
      ``DELETE /_test/faults``; ``POST /_test/faults/release`` → ``{released}``
    - ``GET /_test/requests``
    - ``POST /_test/webhooks {url?, retryDelays?, timeout?, paused?}``; ``GET /_test/webhooks``;
      ``POST /_test/webhooks/flush {reverse?}``; ``POST /_test/webhooks/redeliver
      {transmissionId}``
    - ``GET /_test/receipts/{paymentKey}`` (HTML, the ``receipt.url`` of an approved payment)
    """
    try:
        data = decode(body) if body else {}
        if not isinstance(data, dict):
            raise TossError("INVALID_REQUEST")
        result = _dispatch(fake, method, path, data)
    except TossError as error:
        return error.status, encode(error_body(error.code, "ko")), "application/json"
    except (KeyError, TypeError, ValueError):
        return 400, encode(error_body("INVALID_REQUEST", "ko")), "application/json"
    if isinstance(result, str):
        return 200, result.encode(), "text/html; charset=utf-8"
    return 200, encode(result), "application/json"


def _dispatch(fake: FakeToss, method: str, path: list[str], data: dict[str, Any]) -> Any:
    match method, path:
        case "POST", ["checkout"]:
            return {"paymentKey": fake.open_checkout(data["orderId"], data["amount"], _name(data))}
        case "POST", ["authenticate"] if isinstance(data.get("fail"), dict):
            fail = data["fail"]
            f = fake.fail_checkout(
                data["orderId"], fail.get("code", "PAY_PROCESS_CANCELED"), fail.get("message")
            )
            return {
                "code": f.code,
                "message": f.message,
                "orderId": f.order_id,
                "failQuery": f.fail_query,
            }
        case "POST", ["authenticate"]:
            a = fake.authenticate(
                data.get("orderId", ""),
                data.get("amount", 0),
                _name(data),
                payment_key=data.get("paymentKey"),
            )
            return {
                "paymentKey": a.payment_key,
                "orderId": a.order_id,
                "amount": a.amount,
                "paymentType": "NORMAL",
                "successQuery": a.success_query,
            }
        case "GET", ["clock"]:
            return {"now": fake.now().isoformat()}
        case "POST", ["clock"]:
            if "now" in data:
                return {"now": fake.set_now(datetime.fromisoformat(data["now"])).isoformat()}
            return {"now": fake.advance(float(data["advanceSeconds"])).isoformat()}
        case "POST", ["faults"]:
            fake.add_fault(
                Fault(
                    code=data.get("code"),
                    delay=float(data.get("delay", 0)),
                    hold=bool(data.get("hold", False)),
                    stage=data.get("stage", "processing"),
                    times=data.get("times", 1),
                    method=data.get("method"),
                    path=data.get("path"),
                )
            )
            return {}
        case "DELETE", ["faults"]:
            fake.clear_faults()
            return {}
        case "POST", ["faults", "release"]:
            return {"released": fake.release_held()}
        case "GET", ["requests"]:
            return [
                {
                    "method": r.method,
                    "path": r.path,
                    "idempotencyKey": r.idempotency_key,
                    "testCode": r.test_code,
                    "status": r.status,
                    "replayed": r.replayed,
                }
                for r in fake.requests
            ]
        case "POST", ["webhooks"]:
            fake.configure_webhooks(
                url=data.get("url"), retry_delays=data.get("retryDelays"), timeout=data.get("timeout")
            )
            if data.get("paused") is True:
                fake.pause_webhooks()
            elif data.get("paused") is False:
                fake.flush_webhooks()
            return {}
        case "GET", ["webhooks"]:
            return [
                {
                    "transmissionId": d.transmission_id,
                    "eventType": d.event_type,
                    "paymentKey": d.payment_key,
                    "status": d.payment_status,
                    "delivered": d.delivered,
                    "attempts": [
                        {"retriedCount": a.retried_count, "status": a.status, "error": a.error}
                        for a in d.attempts
                    ],
                }
                for d in fake.webhooks
            ]
        case "POST", ["webhooks", "flush"]:
            fake.flush_webhooks(reverse=bool(data.get("reverse", False)))
            return {}
        case "POST", ["webhooks", "redeliver"]:
            fake.redeliver(data["transmissionId"])
            return {}
        case "GET", ["receipts", payment_key]:
            return _receipt(fake.payment(payment_key))
    raise TossError("NOT_FOUND", 404)


def _name(data: dict[str, Any]) -> str:
    name = data.get("orderName", "Sagopalgo order")
    return name if isinstance(name, str) else ""


def _receipt(payment: dict[str, Any]) -> str:
    rows = (
        ("주문번호", payment["orderId"]),
        ("상품", payment["orderName"]),
        ("금액", f"{payment['totalAmount']:,}원"),
        ("상태", payment["status"]),
    )
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<!doctype html><meta charset=utf-8><title>영수증 (fake Toss)</title><table>{cells}</table>"
