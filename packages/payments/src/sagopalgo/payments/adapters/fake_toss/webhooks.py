"""The fake's webhook sender: ``PAYMENT_STATUS_CHANGED`` deliveries with Toss's headers and retries.

A delivery succeeds only on HTTP 200 (TOSS.md §6: anything else, or no answer within the timeout,
is a failure, so a handler answering 201 or 204 is caught here). Failed deliveries are retried on a
schedule that defaults to Toss's (1, 4, 16, 64, 256, 1024, 4096 minutes) and that tests compress.
First attempts go out one at a time in the order the changes happened; retries run on their own,
so a retried event can land after a later one, as Toss allows. Tests may also pause sending and
flush in reverse order, or redeliver an event (same transmission id) to rehearse duplicates.

All public methods are thread-safe: they run on the server's event loop.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from sagopalgo.kernel.clock import SEOUL, Clock

__all__ = ["TOSS_RETRY_DELAYS", "WebhookAttempt", "WebhookDelivery", "WebhookEmitter"]

TOSS_RETRY_DELAYS: tuple[float, ...] = tuple(minutes * 60.0 for minutes in (1, 4, 16, 64, 256, 1024, 4096))


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    retried_count: int
    status: int | None
    """The receiver's HTTP status; ``None`` when it did not answer (``error`` says why)."""
    error: str | None = None


@dataclass(slots=True)
class WebhookDelivery:
    """One event and every attempt to deliver it."""

    transmission_id: str
    event_type: str
    payment_key: str
    payment_status: str
    body: bytes
    attempts: list[WebhookAttempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(a.status == 200 for a in self.attempts)


class WebhookEmitter:
    def __init__(self, url: str | None, retry_delays: Sequence[float], timeout: float, clock: Clock) -> None:
        self._url = url
        self._delays = tuple(retry_delays)
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._deliveries: list[WebhookDelivery] = []
        self._queue: deque[WebhookDelivery] = deque()
        self._paused = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ life cycle (on the loop)
    def bind(self) -> None:
        """Start sending from the running loop (the server's)."""
        self._loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        self._client = httpx.AsyncClient(timeout=self._timeout)
        self._spawn(self._work(wake))
        if self._queue:
            self._wake.set()

    @property
    def bound(self) -> bool:
        return self._loop is not None and not self._loop.is_closed()

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        self._loop = self._wake = self._client = None

    # ------------------------------------------------------------------ controls (any thread)
    def emit(self, event_type: str, payment: dict[str, Any]) -> WebhookDelivery:
        """Queue an event about ``payment`` (its JSON as the API shows it)."""
        created = self._clock.now().astimezone(SEOUL).replace(tzinfo=None)
        body = {
            "eventType": event_type,
            "createdAt": created.isoformat(timespec="microseconds"),
            "data": payment,
        }
        delivery = WebhookDelivery(
            transmission_id="whtrans_" + secrets.token_hex(13),
            event_type=event_type,
            payment_key=payment["paymentKey"],
            payment_status=payment["status"],
            body=msgspec.json.encode(body),
        )
        with self._lock:
            self._deliveries.append(delivery)
        self._on_loop(self._enqueue, delivery)
        return delivery

    def configure(
        self,
        *,
        url: str | None = None,
        retry_delays: Sequence[float] | None = None,
        timeout: float | None = None,
    ) -> None:
        with self._lock:
            if url is not None:
                self._url = url or None
            if retry_delays is not None:
                self._delays = tuple(retry_delays)
            if timeout is not None:
                self._timeout = timeout

    def pause(self) -> None:
        """Hold first attempts back until ``flush``."""
        self._on_loop(self._set_paused, True)

    def flush(self, *, reverse: bool = False) -> None:
        """Send what was held, oldest first, or newest first (out of order) with ``reverse``."""
        self._on_loop(self._flush, reverse)

    def redeliver(self, transmission_id: str) -> None:
        """Send an event again as it was (a duplicate with the same transmission id)."""
        delivery = next((d for d in self.deliveries if d.transmission_id == transmission_id), None)
        if delivery is None:
            raise KeyError(transmission_id)
        self._on_loop(self._send_once, delivery)

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        with self._lock:
            return list(self._deliveries)

    # ------------------------------------------------------------------ on the loop
    def _on_loop(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            fn(*args)  # not serving: queue now, ``bind`` starts sending
        else:
            loop.call_soon_threadsafe(fn, *args)

    def _enqueue(self, delivery: WebhookDelivery) -> None:
        self._queue.append(delivery)
        if self._wake is not None:
            self._wake.set()

    def _set_paused(self, paused: bool) -> None:
        self._paused = paused
        if not paused and self._wake is not None:
            self._wake.set()

    def _flush(self, reverse: bool) -> None:
        if reverse:
            self._queue.reverse()
        self._set_paused(False)

    def _send_once(self, delivery: WebhookDelivery) -> None:
        self._spawn(self._attempt_discard(delivery))

    async def _attempt_discard(self, delivery: WebhookDelivery) -> None:
        await self._attempt(delivery)

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            while self._queue and not self._paused:
                delivery = self._queue.popleft()
                if not await self._attempt(delivery):
                    self._spawn(self._retry(delivery))

    async def _retry(self, delivery: WebhookDelivery) -> None:
        with self._lock:
            delays = self._delays
        for delay in delays:
            await asyncio.sleep(delay)
            if await self._attempt(delivery):
                return

    async def _attempt(self, delivery: WebhookDelivery) -> bool:
        """One POST; ``True`` when the receiver answered 200 (or no URL is set: nothing to send)."""
        with self._lock:
            url, timeout = self._url, self._timeout
            retried = len(delivery.attempts)
        if url is None or self._client is None:
            return True
        headers = {
            "Content-Type": "application/json",
            "tosspayments-webhook-transmission-time": self._clock.now()
            .astimezone(SEOUL)
            .isoformat(timespec="seconds"),
            "tosspayments-webhook-transmission-retried-count": str(retried),
            "tosspayments-webhook-transmission-id": delivery.transmission_id,
        }
        try:
            response = await self._client.post(url, content=delivery.body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            attempt = WebhookAttempt(retried, None, type(exc).__name__)
        else:
            attempt = WebhookAttempt(retried, response.status_code)
        with self._lock:
            delivery.attempts.append(attempt)
        return attempt.status == 200
