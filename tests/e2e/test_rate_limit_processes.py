"""The bid limit holds across API processes: two ``serve api`` on one Redis share each user's budget.

A user's bids arrive at both processes at once, far past the limit: together they admit at most
``limit`` in the minute and refuse the rest with 429 + ``Retry-After``; each process may keep part of
a slice it reserved unspent, so at least ``limit - (processes - 1) * (slice - 1)`` get through.
"""

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from sagopalgo.api.db import upgrade
from sagopalgo.platform.ratelimit import slice_for
from sagopalgo.testing.market import seed_market
from sagopalgo.testing.plugin import private_database
from sagopalgo.testing.procs import Service

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("rate-limit-processes")]

SECRET = "limit-test-secret-" + "l" * 32
LIMIT = 20
ATTEMPTS = 120


@pytest.fixture
def limit_db() -> Iterator[str]:
    with private_database("limits") as url:
        upgrade(url)
        yield url


async def test_two_api_processes_admit_no_more_than_the_limit_together(
    limit_db: str, redis_url: str, redis_prefix: str
) -> None:
    env = {
        "SAGOPALGO_DATABASE_URL": limit_db,
        "SAGOPALGO_REDIS_URL": redis_url,
        "SAGOPALGO_REDIS_PREFIX": redis_prefix,
        "SAGOPALGO_JWT_SECRET": SECRET,
        "SAGOPALGO_BID_RATE_LIMIT_PER_MINUTE": str(LIMIT),
    }
    market = await seed_market(limit_db, SECRET, bidders=2)
    apis = [Service("api", env), Service("api", env)]
    try:
        for api in apis:
            api.wait_ready()
        if (second := datetime.now(UTC).second) > 40:  # the burst must not straddle two minutes
            await asyncio.sleep(61 - second)
        async with httpx.AsyncClient(timeout=30) as client:

            async def bid(n: int, token: str) -> httpx.Response:
                url = f"{apis[n % 2].base}/api/v1/lots/{market.lot_id}/bids"
                body = {"amount": market.start_price + market.increment * n}
                return await client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})

            started = time.monotonic()
            mine = await asyncio.gather(*(bid(n, market.bidder_tokens[0]) for n in range(ATTEMPTS)))
            other = await bid(ATTEMPTS, market.bidder_tokens[1])
            assert time.monotonic() - started < 15, "the burst took too long to stay in one minute"
        refused = [r for r in mine if r.status_code == 429]
        admitted = [r for r in mine if r.status_code != 429]
        assert all(r.status_code in (201, 409) for r in admitted), [r.text for r in admitted]
        assert LIMIT - (slice_for(LIMIT) - 1) <= len(admitted) <= LIMIT, len(admitted)
        for response in refused:
            assert response.json()["code"] == "RATE_LIMITED"
            assert 1 <= int(response.headers["retry-after"]) <= 60
        assert {r.url.port for r in refused} == {api.port for api in apis}, "both processes refused"
        assert other.status_code != 429, other.text  # another user's budget is their own
    finally:
        for api in apis:
            api.stop()
