"""What a read costs the database: the same statements for one row as for a page of them, and no writes.

The original loaded each list item's category and seller lazily (N+1 queries per page, defect 26)
and counted a view with a read-modify-write on every detail GET (defect 25). Here every list and
page, JSON and HTML, is measured on both deployments: each request is tagged with its own
``X-Request-ID``, and SQLAlchemy's ``before_cursor_execute`` hook files every statement under the
request id the statement ran for (the id lives in a context variable that the request's tasks
inherit), so the background workers sharing the engine never blur the count.
"""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.logs import request_id_var
from tests.conftest import ApiFactory
from tests.integration.helpers import bearer
from tests.integration.test_auction_day import Day, _admin_at, kst
from tests.integration.web_helpers import Web

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
MOST = 6
"""No read needs more statements than this (a count, a page, its photos, the session check...)."""


class Statements:
    """Every statement the app's engine runs, filed under the request it ran for."""

    def __init__(self) -> None:
        self.by_request: defaultdict[str, list[str]] = defaultdict(list)
        self.writes: list[str] = []

    def hook(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        request_id = request_id_var.get()
        if request_id is not None and request_id.startswith("count-"):
            self.by_request[request_id].append(" ".join(statement.split()))

    async def of(self, api: AsyncTestClient[Any], path: str, token: str | None = None) -> list[str]:
        """The statements the second of two GETs ran (the first warms the session check and caches).

        Whatever either ran that writes is kept in ``writes``.
        """
        headers = bearer(token) if token else {}
        ran: list[str] = []
        for _ in range(2):
            request_id = f"count-{uuid.uuid4().hex}"
            response = await api.get(path, headers={**headers, "X-Request-ID": request_id})
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            ran = self.by_request.pop(request_id, [])
            self.writes += [f"{path}: {s}" for s in ran if s.upper().startswith(_WRITES)]
        return ran


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Statements]:
    statements = Statements()
    event.listen(engine.sync_engine, "before_cursor_execute", statements.hook)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", statements.hook)


async def _until(api: AsyncTestClient[Any], path: str, total: int, token: str | None = None) -> None:
    """The bid log and the search index follow asynchronously: wait (bounded) until they caught up."""
    for _ in range(200):
        body = (await api.get(path, headers=bearer(token) if token else {})).json()
        if body["total"] >= total:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} did not reach {total}: {body}")


async def _auction(day: Day, lots: list[int], *, bids: int) -> None:
    """Open the day, bid ``bids`` times on every lot (the last bidder wins them all), close it."""
    day.clock.set(kst(day.day, 10))
    await _admin_at(day)
    assert await day.run("open") >= len(lots)
    for lot in lots:
        for n in range(bids):
            assert (await day.bid(lot, n % 2, 10_000 + 1_000 * n)).status_code == 201
    day.clock.set(kst(day.day, 18))
    await _admin_at(day)
    assert await day.run("close") >= len(lots)


async def test_a_page_of_many_costs_what_a_page_of_one_costs_and_reads_never_write(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    big_day = date(2031, 7, 7)
    async with api_factory() as api:
        big, small = Day(api, clock, big_day), Day(api, clock, big_day + timedelta(days=1))
        many = await big.setup(12)
        (one,) = await small.setup(1)
        await _auction(big, many, bids=2)
        await _auction(small, [one], bids=1)
        clock.set(kst(small.day, 19))
        won_by = {big: big.bidders[1], small: small.bidders[0]}  # the last to bid on each lot
        winner = {d: await d.token_of(won_by[d]) for d in (big, small)}
        seller = {d: await d.token_of(d.seller_ident) for d in (big, small)}
        for d, lots in ((big, many), (small, [one])):
            await _until(api, f"/api/v1/search/lots?auctionDay={d.day.isoformat()}", len(lots))
            await _until(api, "/api/v1/me/bids", len(lots), winner[d])
        browser = Web(api)

        def api_reads(d: Day, lots: list[int]) -> list[tuple[str, str | None]]:
            return [
                (f"/api/v1/lots?auctionDay={d.day.isoformat()}", None),
                (f"/api/v1/search/lots?auctionDay={d.day.isoformat()}", None),
                (f"/api/v1/search/lots?q=달항아리&auctionDay={d.day.isoformat()}", None),
                (f"/api/v1/lots/{lots[0]}/bids", None),
                (f"/api/v1/lots/{lots[0]}", None),
                ("/api/v1/me/lots", seller[d]),
                ("/api/v1/me/bids", winner[d]),
                ("/api/v1/me/awards", winner[d]),
            ]

        def web_reads(d: Day, lots: list[int]) -> list[str]:
            return [f"/search?auctionDay={d.day.isoformat()}", f"/lots/{lots[0]}", "/me/bids", "/me/awards"]

        with counting(api.app.state.engine) as statements:
            for (path, token), (big_path, big_token) in zip(
                api_reads(small, [one]), api_reads(big, many), strict=True
            ):
                few = await statements.of(api, path, token)
                lots_of = await statements.of(api, big_path, big_token)
                assert len(lots_of) == len(few) <= MOST, (big_path, few, lots_of)
            for path, big_path in zip(web_reads(small, [one]), web_reads(big, many), strict=True):
                await browser.sign_in(won_by[small])
                few = await statements.of(api, path)
                await browser.sign_in(won_by[big])
                lots_of = await statements.of(api, big_path)
                assert len(lots_of) == len(few) <= MOST, (big_path, few, lots_of)
            # The main page and the featured list: today's closed lots, one of them and then twelve.
            few = await statements.of(api, "/api/v1/lots/featured")
            few_page = await statements.of(api, "/")
            clock.set(kst(big.day, 19))
            lots_of = await statements.of(api, "/api/v1/lots/featured")
            lots_of_page = await statements.of(api, "/")
            assert len(lots_of) == len(few) <= MOST, (few, lots_of)
            assert len(lots_of_page) == len(few_page) <= MOST, (few_page, lots_of_page)
            assert statements.writes == []  # viewing counts nothing: no view counter to race or to game
