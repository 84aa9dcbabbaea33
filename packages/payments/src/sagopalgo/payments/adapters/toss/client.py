"""``TossPaymentProvider``: the ``PaymentProvider`` port over Toss Payments' core API (httpx).

See ``TossPaymentProvider``'s docstring for authentication, timeouts and the retry policy.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import quote

import httpx
import msgspec

from sagopalgo.payments.adapters.toss.errors import Operation, classify
from sagopalgo.payments.adapters.toss.wire import (
    CancelRequest,
    ConfirmRequest,
    decode_error,
    decode_payment,
    encode,
)
from sagopalgo.payments.domain.errors import ProviderUnavailable
from sagopalgo.payments.domain.payment import TossPayment

__all__ = ["TOSS_API", "RetryPolicy", "TossPaymentProvider", "TossTimeouts"]

TOSS_API = "https://api.tosspayments.com"
_MAX_IDEMPOTENCY_KEY = 300
_MAX_CANCEL_REASON = 200

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TossTimeouts:
    """Seconds. Toss publishes no figure for confirm/cancel; these are ours (see TOSS.md §7)."""

    connect: float = 5.0
    write: float = 10.0
    pool: float = 5.0
    post_read: float = 30.0
    """Confirm and cancel wait on card companies."""
    get_read: float = 10.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times a call is tried in all, and the exponential backoff between tries."""

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy needs attempts >= 1 and non-negative delays")

    def delay(self, attempt: int) -> float:
        """Pause after failed try number ``attempt`` (1-based): doubling, capped, half-jittered."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret


class _Secret:
    """Holds the secret key so that no repr, log line or traceback local shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "_Secret('********')"


class TossPaymentProvider:
    """Toss Payments' confirm, lookup and cancel APIs as a ``PaymentProvider``.

    - Auth: HTTP Basic with the secret key as user name and an empty password, i.e.
      ``Authorization: Basic base64("<secretKey>:")`` (the colon is mandatory). The key is never
      logged and never shown by ``repr``.
    - Timeouts: connect 5 s; read 30 s for confirm and cancel (they wait on card companies), 10 s
      for lookups (``TossTimeouts``).
    - Idempotency: confirm and cancel send the caller's ``Idempotency-Key``; Toss replays the first
      answer for a repeated key.
    - Retries: a timeout, a network error, a 5xx, ``429``, ``PROVIDER_ERROR``,
      ``FORBIDDEN_CONSECUTIVE_REQUEST`` or the 409 ``IDEMPOTENT_REQUEST_PROCESSING`` is retried up to
      ``RetryPolicy.attempts`` tries in all (3 by default) with exponential, jittered backoff, always
      with the **same** idempotency key, so a retry can never approve or cancel twice. Lookups are
      retried the same way (GETs are idempotent). Anything else (a refusal, a 404, our key refused)
      is raised at once. When the tries run out, ``ProviderUnavailable`` (``ProviderInFlight`` if
      Toss was still busy) is raised with ``outcome_unknown`` set if any try may have reached Toss:
      reconcile with ``by_order`` before deciding.
    - No API-version header is sent: the key's configured version applies, and responses are read
      leniently (unknown fields ignored) against version 2022-11-16.
    """

    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str = TOSS_API,
        timeouts: TossTimeouts | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Build the client; it owns an ``httpx.AsyncClient`` until ``aclose``.

        ``headers`` are added to every request (``Accept-Language: en-US``, or a test key's
        ``TossPayments-Test-Code`` to rehearse an error path); ``transport`` is for tests.
        """
        if not secret_key or ":" in secret_key or secret_key != secret_key.strip():
            raise ValueError("the Toss secret key is empty or malformed")
        if secret_key.startswith("live_") and not base_url.startswith("https://"):
            raise ValueError("a live Toss secret key is only ever sent over HTTPS")
        self._secret = _Secret(secret_key)
        self._mode = "live" if secret_key.startswith("live_") else "test"
        self._base_url = base_url.rstrip("/")
        self._timeouts = timeouts or TossTimeouts()
        self._retry = retry or RetryPolicy()
        token = base64.b64encode(f"{secret_key}:".encode()).decode("ascii")
        # httpx masks the Authorization header in its own reprs and logs nothing of headers.
        self._client = httpx.AsyncClient(
            base_url=self._base_url,
            headers={**(headers or {}), "Authorization": f"Basic {token}", "Accept": "application/json"},
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"TossPaymentProvider(base_url={self._base_url!r}, mode={self._mode!r}, secret_key=<hidden>)"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ the port
    async def confirm(
        self,
        payment_key: str,
        order_id: str,
        amount: int,
        idempotency_key: str,
        *,
        test_code: str | None = None,
    ) -> TossPayment:
        _check_key(idempotency_key)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise ValueError("amount must be a positive integer (KRW)")
        body = ConfirmRequest(payment_key=payment_key, order_id=order_id, amount=amount)
        extra = {"TossPayments-Test-Code": test_code} if test_code and self._mode == "test" else None
        return await self._call(
            "confirm", "POST", "/v1/payments/confirm", encode(body), idempotency_key, extra_headers=extra
        )

    async def by_order(self, order_id: str) -> TossPayment:
        return await self._call("lookup", "GET", f"/v1/payments/orders/{_segment(order_id)}")

    async def by_key(self, payment_key: str) -> TossPayment:
        return await self._call("lookup", "GET", f"/v1/payments/{_segment(payment_key)}")

    async def cancel(
        self, payment_key: str, reason: str, idempotency_key: str, amount: int | None = None
    ) -> TossPayment:
        _check_key(idempotency_key)
        if not reason.strip() or len(reason) > _MAX_CANCEL_REASON:
            raise ValueError("a cancel reason is required (at most 200 characters)")
        if amount is not None and (isinstance(amount, bool) or amount < 1):
            raise ValueError("a cancel amount must be a positive integer (KRW)")
        body = CancelRequest(cancel_reason=reason, cancel_amount=amount)
        path = f"/v1/payments/{_segment(payment_key)}/cancel"
        return await self._call("cancel", "POST", path, encode(body), idempotency_key)

    # ------------------------------------------------------------------ plumbing
    async def _call(
        self,
        operation: Operation,
        method: str,
        path: str,
        body: bytes | None = None,
        idempotency_key: str | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
    ) -> TossPayment:
        headers = dict(extra_headers or {})
        if body is not None:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        t = self._timeouts
        read = t.post_read if method == "POST" else t.get_read
        timeout = httpx.Timeout(connect=t.connect, read=read, write=t.write, pool=t.pool)
        reached = False
        attempts = self._retry.attempts
        for attempt in range(1, attempts + 1):
            cause: Exception | None = None
            try:
                response = await self._client.request(
                    method, path, content=body, headers=headers, timeout=timeout
                )
            except httpx.TimeoutException as exc:
                reached |= not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                error: Exception = ProviderUnavailable("Toss Payments did not answer in time.")
                retry, cause, what = True, exc, type(exc).__name__
            except httpx.TransportError as exc:
                reached |= not isinstance(exc, httpx.ConnectError)
                error = ProviderUnavailable("Toss Payments could not be reached.")
                retry, cause, what = True, exc, type(exc).__name__
            else:
                if response.status_code == 200:
                    return self._payment(response, method, path)
                verdict = classify(operation, response.status_code, decode_error(response.content))
                error, retry = verdict.error, verdict.retry
                code = getattr(error, "toss_code", None) or "-"
                what = f"{response.status_code} {code}"
                if isinstance(error, ProviderUnavailable):
                    reached |= error.outcome_unknown
            if isinstance(error, ProviderUnavailable):
                error.outcome_unknown = error.outcome_unknown or reached
            if not retry or attempt == attempts:
                level = logging.WARNING if isinstance(error, ProviderUnavailable) else logging.INFO
                _log.log(level, "toss %s %s failed: %s (try %d of %d)", method, path, what, attempt, attempts)
                raise error from cause
            pause = self._retry.delay(attempt)
            _log.warning(
                "toss %s %s failed: %s (try %d of %d); retrying with the same idempotency key in %.2fs",
                method,
                path,
                what,
                attempt,
                attempts,
                pause,
            )
            await asyncio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _payment(response: httpx.Response, method: str, path: str) -> TossPayment:
        try:
            return decode_payment(response.content)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            _log.error("toss %s %s: unreadable payment in a 200 answer: %s", method, path, exc)
            raise ProviderUnavailable(
                "Toss Payments sent an answer we cannot read.", outcome_unknown=True
            ) from exc


def _check_key(idempotency_key: str) -> None:
    if not 1 <= len(idempotency_key) <= _MAX_IDEMPOTENCY_KEY:
        raise ValueError("an idempotency key is 1 to 300 characters")


def _segment(value: str) -> str:
    """One path segment: a key or id can never reach another endpoint (``../``, ``?``)."""
    if not value:
        raise ValueError("an empty payment key or order id")
    return quote(value, safe="")
