"""The fake Toss server on loopback, adapters pointed at it, and a webhook receiver."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from sagopalgo.payments.adapters.fake_toss import FakeToss, serve_asgi
from sagopalgo.payments.adapters.toss import RetryPolicy, TossPaymentProvider, TossTimeouts


@pytest.fixture
def fake_toss() -> Iterator[FakeToss]:
    fake = FakeToss(webhook_retry_delays=(0.01, 0.01, 0.01))
    with fake.running():
        yield fake


@pytest.fixture
async def make_provider(fake_toss: FakeToss) -> AsyncIterator[Callable[..., TossPaymentProvider]]:
    """Adapters on the fake, retrying without pauses; closed at the end of the test."""
    made: list[TossPaymentProvider] = []

    def make(
        *,
        secret_key: str | None = None,
        attempts: int = 3,
        timeouts: TossTimeouts | None = None,
        headers: dict[str, str] | None = None,
    ) -> TossPaymentProvider:
        assert fake_toss.base_url is not None
        provider = TossPaymentProvider(
            secret_key or fake_toss.secret_key,
            base_url=fake_toss.base_url,
            retry=RetryPolicy(attempts=attempts, base_delay=0.0),
            timeouts=timeouts,
            headers=headers,
        )
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


@pytest.fixture
def provider(make_provider: Callable[..., TossPaymentProvider]) -> TossPaymentProvider:
    return make_provider()


class Receiver:
    """Our webhook endpoint's stand-in: records each delivery, answers the scripted statuses, then 200."""

    def __init__(self) -> None:
        self.url = ""
        self.script: list[int] = []
        self._lock = threading.Lock()
        self._received: list[tuple[dict[str, str], bytes]] = []

    @property
    def received(self) -> list[tuple[dict[str, str], bytes]]:
        with self._lock:
            return list(self._received)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self._received.append((headers, body))
            status = self.script.pop(0) if self.script else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    with serve_asgi(target, lifespan="off") as url:
        target.url = f"{url}/api/v1/payments/webhooks/toss"
        yield target


async def _eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never came true")
        await asyncio.sleep(0.005)


@pytest.fixture
def eventually() -> Callable[..., Any]:
    """Wait (asserting nothing about time) until a check holds: the fake works on its own thread."""
    return _eventually
