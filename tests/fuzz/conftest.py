"""The fuzzed apps: the API over a seeded market on both deployments, and the SSE service beside it."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from schemathesis.python.asgi import shutdown_lifespans

from sagopalgo.api.app import create_app
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.settings import Settings
from sagopalgo.sse.app import create_app as create_sse_app
from tests.conftest import api_settings
from tests.fuzz.market import Market, seed_market
from tests.integration.payments_helpers import running_fake, toss_settings


@pytest.fixture
def fuzz_settings(deployment: dict[str, Any]) -> Iterator[Settings]:
    """The API's test settings with payments on, against the fake Toss (a 503 would be a finding)."""
    with running_fake() as toss:
        yield api_settings(deployment, **toss_settings(toss))


@pytest.fixture
def market(fuzz_settings: Settings, clock: ManualClock) -> Market:
    return asyncio.run(seed_market(fuzz_settings, clock))


@pytest.fixture
def api_app(fuzz_settings: Settings, clock: ManualClock, market: Market) -> Iterator[Litestar]:
    """The API over the seeded market; schemathesis calls it in process and runs its lifespan."""
    try:
        yield create_app(fuzz_settings, clock=clock)
    finally:
        shutdown_lifespans()


@pytest.fixture
def sse_app(fuzz_settings: Settings, clock: ManualClock, market: Market) -> Iterator[Litestar]:
    """The SSE service on the same database (and Redis) as the market."""
    try:
        yield create_sse_app(fuzz_settings, clock=clock)
    finally:
        shutdown_lifespans()
