"""``FakeToss``: Toss Payments' core API as a local server, for tests and the demo's sandbox.

A raw ASGI app rather than Litestar: the fake must answer in *Toss's* shapes (``{code, message}``
errors, Basic-auth failures, idempotency replays of stored bytes), take ``amount`` as a number or a
string, and watch a held request's connection for the client giving up. A framework's own
validation, error bodies and OpenAPI would all be in the way, and a dozen routes need no router.

Pipeline of an API request (``/v1/...``): record it → faults at the ``network`` stage (a pause
before Toss sees the request; abandoned if the client hangs up) → Basic auth → idempotency (replay,
or 409 while the first is in flight) → faults at the ``processing`` stage (Toss busy: the request
stays in flight even if the client leaves) → a forced error (fault code or
``TossPayments-Test-Code``) or the real rule → store the answer under the idempotency key → send
the webhooks the change calls for.

Test-only endpoints (no auth) live under ``/_test/`` (``controls``); each calls the ``FakeToss``
method of the same purpose. ``/_test/window`` (``window``) is the sandbox's checkout page for a
browser: the demo's buyers pay there.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import unquote, urlencode

from sagopalgo.kernel.clock import Clock, SystemClock
from sagopalgo.payments.adapters.fake_toss import controls
from sagopalgo.payments.adapters.fake_toss.asgi import Receive, Send, decode, encode, read_body, respond
from sagopalgo.payments.adapters.fake_toss.codes import ABORTING, error_body, message_for
from sagopalgo.payments.adapters.fake_toss.ledger import Ledger, TossError
from sagopalgo.payments.adapters.fake_toss.server import serve_asgi
from sagopalgo.payments.adapters.fake_toss.values import (
    Authenticated,
    CheckoutFailure,
    Fault,
    Hold,
    RecordedRequest,
    ShiftableClock,
    Stored,
)
from sagopalgo.payments.adapters.fake_toss.webhooks import (
    TOSS_RETRY_DELAYS,
    WebhookDelivery,
    WebhookEmitter,
)
from sagopalgo.payments.adapters.fake_toss.window import serve_window

__all__ = [
    "DEFAULT_SECRET_KEY",
    "Authenticated",
    "CheckoutFailure",
    "FakeToss",
    "Fault",
    "RecordedRequest",
]

DEFAULT_SECRET_KEY = "test_sk_sagopalgo_fake_0000000000"  # noqa: S105 - the fake's own test key
_ORDER_ID = r"[A-Za-z0-9_=-]{6,64}"


class FakeToss:
    """Toss Payments' confirm, lookup and cancel API over HTTP, its state in memory (TOSS.md §8).

    ``with FakeToss().running() as base_url:`` serves it on 127.0.0.1 (a free port) in a thread;
    the instance itself is the ASGI app, so it can also be mounted in-process. Options make the
    behaviours TOSS.md leaves UNCONFIRMED configurable: the mismatch codes, ``already_canceled_code``
    (``NOT_CANCELABLE_PAYMENT`` is the other candidate) and ``replay_failures``: which failed answers
    an idempotency key replays (``4xx``, the default: a 5xx may be retried under the same key;
    ``all``; or ``none``).
    """

    def __init__(
        self,
        *,
        secret_key: str = DEFAULT_SECRET_KEY,
        clock: Clock | None = None,
        webhook_url: str | None = None,
        webhook_retry_delays: Sequence[float] = TOSS_RETRY_DELAYS,
        webhook_timeout: float = 10.0,
        confirm_window: timedelta = timedelta(minutes=10),
        checkout_window: timedelta = timedelta(minutes=30),
        idempotency_ttl: timedelta = timedelta(days=15),
        replay_failures: Literal["4xx", "all", "none"] = "4xx",
        order_mismatch_code: str = "FORBIDDEN_REQUEST",
        amount_mismatch_code: str = "INVALID_REQUEST",
        already_canceled_code: str = "ALREADY_CANCELED_PAYMENT",
        order_id_pattern: str = _ORDER_ID,
    ) -> None:
        self.secret_key = secret_key
        self._lock = threading.RLock()
        self._clock = ShiftableClock(clock or SystemClock())
        self._ledger = Ledger(
            self._clock,
            confirm_window=confirm_window,
            checkout_window=checkout_window,
            order_id_pattern=order_id_pattern,
            order_mismatch_code=order_mismatch_code,
            amount_mismatch_code=amount_mismatch_code,
            already_canceled_code=already_canceled_code,
        )
        self._ttl = idempotency_ttl
        self._replay_failures = replay_failures
        self._stored: dict[tuple[str, str, str, str], Stored] = {}
        self._in_flight: set[tuple[str, str, str, str]] = set()
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._requests: list[RecordedRequest] = []
        self._webhooks = WebhookEmitter(webhook_url, webhook_retry_delays, webhook_timeout, self._clock)
        self.base_url: str | None = None
        """Set while ``running``; receipt and checkout URLs use the request's own host."""

    def __repr__(self) -> str:
        return f"FakeToss(base_url={self.base_url!r})"

    # ================================================================== serving
    @contextmanager
    def running(self, host: str = "127.0.0.1") -> Iterator[str]:
        """Serve on a free port of ``host`` until the block ends; yields the base URL."""
        with serve_asgi(self, host=host, lifespan="on") as url:
            self.base_url = url
            try:
                yield url
            finally:
                self.release_held()
                self.base_url = None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if not self._webhooks.bound:
            self._webhooks.bind()  # mounted in-process without a lifespan: send from this loop
        body = await read_body(receive)
        method: str = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        segments = [unquote(s) for s in raw_path.decode("latin-1").split("?")[0].split("/")[1:]]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = f"{scope.get('scheme', 'http')}://{headers.get('host', 'localhost')}"
        if segments[:2] == ["_test", "window"]:
            await serve_window(self, method, scope.get("query_string", b""), body, send)
            return
        if segments and segments[0] == "_test":
            status, payload, content_type = controls.handle(self, method, segments[1:], body)
            await respond(send, status, payload, content_type)
            return
        answer = await self._api(method, segments, scope["path"], body, headers, receive, origin)
        if answer is not None:
            await respond(send, answer[0], answer[1])

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._webhooks.bind()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._webhooks.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ================================================================== the API
    async def _api(
        self,
        method: str,
        segments: list[str],
        path: str,
        body: bytes,
        headers: dict[str, str],
        receive: Receive,
        origin: str,
    ) -> tuple[int, bytes] | None:
        key = headers.get("idempotency-key")
        test_code = headers.get("tosspayments-test-code")
        record = RecordedRequest(method, path, key, test_code, body)
        lang = "en" if headers.get("accept-language", "").lower().startswith("en") else "ko"
        with self._lock:
            self._requests.append(record)
            fault = self._take_fault(method, path)
        if fault is not None and fault.stage == "network" and not await self._pause(fault, receive):
            return None  # the client gave up before "Toss" saw the request
        refused = self._check_auth(headers.get("authorization"))
        if refused is not None:
            return self._finish(record, refused.status, encode(error_body(refused.code, lang)))
        scope: tuple[str, str, str, str] | None = None
        if method == "POST" and key is not None:
            if not 1 <= len(key) <= 300:
                return self._finish(record, 400, encode(error_body("INVALID_IDEMPOTENCY_KEY", lang)))
            scope = (self.secret_key, method, path, key)
            with self._lock:
                stored = self._stored.get(scope)
                if stored is not None and self._clock.now() - stored.first_at >= self._ttl:
                    del self._stored[scope]
                    stored = None
                if stored is not None:
                    record.replayed = True
                    return self._finish(record, stored.status, stored.body)
                if scope in self._in_flight:
                    return self._finish(
                        record, 409, encode(error_body("IDEMPOTENT_REQUEST_PROCESSING", lang))
                    )
                self._in_flight.add(scope)
        try:
            if fault is not None and fault.stage == "processing":
                await self._pause(fault, None)
            forced = fault.code if fault is not None and fault.code else None
            if forced is None and test_code and self.secret_key.startswith("test_"):
                forced = test_code  # live keys ignore the header, as Toss's do
            with self._lock:
                if forced is not None:
                    status, payload = self._forced(forced, method, segments, body, lang)
                else:
                    status, payload = self._route(method, segments, body, lang, origin)
                if scope is not None and self._replayable(status):
                    self._stored[scope] = Stored(status, payload, self._clock.now())
                self._announce()
        finally:
            if scope is not None:
                with self._lock:
                    self._in_flight.discard(scope)
        return self._finish(record, status, payload)

    def _finish(self, record: RecordedRequest, status: int, payload: bytes) -> tuple[int, bytes]:
        record.status = status
        return status, payload

    def _check_auth(self, header: str | None) -> TossError | None:
        """Basic ``base64(secretKey + ":")``; padding optional, the colon required."""
        if not header:
            return TossError("UNAUTHORIZED_KEY")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value.strip():
            return TossError("INCORRECT_BASIC_AUTH_FORMAT")
        value = value.strip()
        try:
            decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return TossError("INCORRECT_BASIC_AUTH_FORMAT")
        user, colon, _ = decoded.partition(":")
        if not colon:
            return TossError("INCORRECT_BASIC_AUTH_FORMAT")
        if user != self.secret_key:
            return TossError("UNAUTHORIZED_KEY")
        return None

    def _route(
        self, method: str, segments: list[str], body: bytes, lang: str, origin: str
    ) -> tuple[int, bytes]:
        ledger = self._ledger
        try:
            match method, segments:
                case "POST", ["v1", "payments", "confirm"]:
                    payment = ledger.confirm(decode(body), origin)
                case "GET", ["v1", "payments", "orders", order_id]:
                    payment = ledger.by_order(order_id)
                case "POST", ["v1", "payments", payment_key, "cancel"]:
                    payment = ledger.cancel(payment_key, decode(body))
                case "GET", ["v1", "payments", payment_key]:
                    payment = ledger.by_key(payment_key)
                case _:
                    raise TossError("NOT_FOUND", 404)
        except TossError as error:
            return error.status, encode(error_body(error.code, lang))
        return 200, encode(payment.to_json(lang, origin))

    def _forced(
        self, code: str, method: str, segments: list[str], body: bytes, lang: str
    ) -> tuple[int, bytes]:
        """A test code's answer; a refusal forced on confirm also aborts the payment, as Toss's do."""
        error = TossError(code)
        if method == "POST" and segments == ["v1", "payments", "confirm"] and code in ABORTING:
            try:
                payment_key = decode(body).get("paymentKey")
            except (TossError, AttributeError):
                payment_key = None
            self._ledger.abort(payment_key, code, message_for(code, "ko"))
        return error.status, encode(error_body(code, lang))

    def _replayable(self, status: int) -> bool:
        if status < 400:
            return True
        if status < 500:
            return self._replay_failures in {"4xx", "all"}
        return self._replay_failures == "all"

    def _announce(self) -> None:
        for payment in self._ledger.announce():
            origin = self.base_url or "http://127.0.0.1"
            self._webhooks.emit("PAYMENT_STATUS_CHANGED", payment.to_json("ko", origin))

    # ================================================================== faults and holds
    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    async def _pause(self, fault: Fault, receive: Receive | None) -> bool:
        """Wait out the fault's delay or hold; ``False`` if the client hung up meanwhile.

        ``receive`` is watched only at the network stage: there a hang-up abandons the request.
        """
        waiters: list[asyncio.Task[Any]] = []
        hold: Hold | None = None
        if fault.hold:
            hold = Hold(asyncio.Event(), asyncio.get_running_loop())
            with self._lock:
                self._holds.append(hold)
            waiters.append(asyncio.ensure_future(hold.event.wait()))
        if fault.delay > 0:
            waiters.append(asyncio.ensure_future(asyncio.sleep(fault.delay)))
        if not waiters:
            return True
        hang_up = asyncio.ensure_future(receive()) if receive is not None else None
        try:
            done, _ = await asyncio.wait(
                [*waiters, *([hang_up] if hang_up else [])], return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in [*waiters, *([hang_up] if hang_up else [])]:
                task.cancel()
            if hold is not None:
                with self._lock:
                    if hold in self._holds:
                        self._holds.remove(hold)
        return hang_up is None or hang_up not in done

    # ================================================================== test controls (thread-safe)
    def open_checkout(self, order_id: str, amount: int, order_name: str = "Sagopalgo order") -> str:
        """The buyer opened the payment window: a ``READY`` payment (30 minutes); its key."""
        with self._lock:
            payment = self._ledger.open(order_id, amount, order_name)
            self._announce()
            return payment.payment_key

    def authenticate(
        self,
        order_id: str,
        amount: int,
        order_name: str = "Sagopalgo order",
        *,
        payment_key: str | None = None,
    ) -> Authenticated:
        """The buyer authenticated in the window: ``IN_PROGRESS``, and the success redirect's query.

        Without ``payment_key`` the window is opened too. Raises ``TossError``.
        """
        with self._lock:
            if payment_key is None:
                payment_key = self._ledger.open(order_id, amount, order_name).payment_key
            payment = self._ledger.authenticate(payment_key)
            self._announce()
        query = urlencode(
            {
                "paymentType": "NORMAL",
                "amount": payment.amount,
                "orderId": payment.order_id,
                "paymentKey": payment.payment_key,
            }
        )
        return Authenticated(payment.payment_key, payment.order_id, payment.amount, query)

    def fail_checkout(
        self, order_id: str, code: str = "PAY_PROCESS_CANCELED", message: str | None = None
    ) -> CheckoutFailure:
        """The window failed (buyer cancelled, card refused): the fail redirect; no payment changes."""
        text = message or message_for(code, "ko")
        query = urlencode({"code": code, "message": text, "orderId": order_id})
        return CheckoutFailure(code, text, order_id, query)

    def payment(self, payment_key: str) -> dict[str, Any]:
        """The Payment object as the lookup API shows it now (raises ``TossError`` if unknown)."""
        with self._lock:
            return self._ledger.by_key(payment_key).to_json("ko", self.base_url or "http://127.0.0.1")

    def now(self) -> datetime:
        return self._clock.now()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the fake's clock on (seconds or a timedelta); windows that pass expire now."""
        with self._lock:
            self._clock.advance(delta if isinstance(delta, timedelta) else timedelta(seconds=delta))
            return self._tick()

    def set_now(self, instant: datetime) -> datetime:
        with self._lock:
            self._clock.set(instant)
            return self._tick()

    def _tick(self) -> datetime:
        self._ledger.expire_due()
        self._announce()
        return self._clock.now()

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def held(self) -> int:
        """How many requests a ``hold`` fault is holding right now."""
        with self._lock:
            return len(self._holds)

    def release_held(self) -> int:
        """Let every held request go on; returns how many there were."""
        with self._lock:
            holds, self._holds = self._holds, []
        for hold in holds:
            if not hold.loop.is_closed():
                hold.loop.call_soon_threadsafe(hold.event.set)
        return len(holds)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def configure_webhooks(
        self,
        *,
        url: str | None = None,
        retry_delays: Sequence[float] | None = None,
        timeout: float | None = None,
    ) -> None:
        """Where and how to deliver (``url=""`` stops delivering)."""
        self._webhooks.configure(url=url, retry_delays=retry_delays, timeout=timeout)

    def pause_webhooks(self) -> None:
        self._webhooks.pause()

    def flush_webhooks(self, *, reverse: bool = False) -> None:
        self._webhooks.flush(reverse=reverse)

    def redeliver(self, transmission_id: str) -> None:
        self._webhooks.redeliver(transmission_id)

    @property
    def webhooks(self) -> list[WebhookDelivery]:
        """Every event emitted, with its delivery attempts."""
        return self._webhooks.deliveries
