"""What a lot's live stream says when its seller withdraws or relists it, on both deployments.

The API and the SSE service are served for real (uvicorn, in this test's event loop, sharing the
in-process event log on the embedded deployment and Redis on the other), driven over HTTP, and read
with a spec-following SSE client (httpx-sse). A stream's body must end in good order: a connection
cut off mid-body would raise here.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse
from litestar import Litestar

from sagopalgo.api.app import create_app as create_api
from sagopalgo.api.composition import LocalBus
from sagopalgo.cli.serving import bind, server_for
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.realtime.contract import LotEvent
from sagopalgo.sse.app import create_app as create_sse
from sagopalgo.sse.direct import TransportInScope
from tests.conftest import api_settings
from tests.integration.helpers import (
    PASSWORD,
    assert_problem,
    bearer,
    lot_body,
    new_category,
    promote,
    sign_up_and_in,
    upload_photo,
    user_id,
)

DAY = "2026-11-26"  # the clock fixture stands at 2026-11-25 10:00 KST
GUARD_S = 60
"""A hang guard, never a speed claim: a stream that should end and does not fails the test."""


class ApiClient(httpx.AsyncClient):
    """The served API over HTTP; ``app`` is its Litestar app, for the helpers that read its state."""

    app: Litestar


@dataclass
class Site:
    api: ApiClient
    sse: httpx.AsyncClient
    clock: ManualClock

    @property
    def state(self) -> Any:
        return self.api.app.state

    async def events(self, lot: int) -> list[LotEvent]:
        """The lot's event log as the API wrote it (read on this loop, as both services are)."""
        found: list[LotEvent] = await self.state.events.since(lot, None, 1_000)
        return found


@asynccontextmanager
async def served(
    deployment: dict[str, Any], clock: ManualClock, *, direct: bool = True, **overrides: Any
) -> AsyncIterator[Site]:
    """Both services on free ports; ``direct``: the SSE service writes events to the transport
    itself, as ``sagopalgo serve sse`` does (else through ASGI ``send``, its fallback)."""
    settings = api_settings(deployment, **overrides)
    bus = None if settings.redis_url else LocalBus()
    api_app = create_api(settings, clock=clock, bus=bus)
    sse_app = create_sse(settings, clock=clock, events=bus.events if bus else None)
    api_sock, sse_sock = bind("127.0.0.1", 0), bind("127.0.0.1", 0)
    api = server_for(api_app, settings)
    sse = server_for(sse_app, settings, http=TransportInScope if direct else "httptools")
    serving = [
        asyncio.create_task(api.serve(sockets=[api_sock])),
        asyncio.create_task(sse.serve(sockets=[sse_sock])),
    ]
    try:
        async with asyncio.timeout(GUARD_S):
            while not (api.started and sse.started):
                assert not any(task.done() for task in serving), "a service did not start"
                await asyncio.sleep(0.02)
        async with (
            ApiClient(
                base_url=f"http://127.0.0.1:{api_sock.getsockname()[1]}", timeout=GUARD_S
            ) as api_client,
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{sse_sock.getsockname()[1]}", timeout=GUARD_S
            ) as sse_client,
        ):
            api_client.app = api_app
            yield Site(api_client, sse_client, clock)
    finally:
        api.should_exit = sse.should_exit = True
        await asyncio.gather(*serving)


@dataclass
class Stream:
    """One connection as the client saw it: the status, then every event until the body ended."""

    status: int
    events: list[ServerSentEvent] = field(default_factory=list)
    problem: dict[str, Any] | None = None

    @property
    def kinds(self) -> list[str]:
        return [e.event for e in self.events]

    def data(self, n: int) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.events[n].data)
        return parsed


async def watch(
    site: Site, lot: int, *, last_event_id: str | None = None, opened: asyncio.Event | None = None
) -> Stream:
    """Read the lot's stream to its end (a withdrawn lot's ends; any other's would hang here)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with aconnect_sse(site.sse, "GET", f"/sse/v1/lots/{lot}/events", headers=headers) as source:
        response = source.response
        if response.status_code != 200:
            await response.aread()
            problem = assert_problem(response, response.status_code, "NOT_FOUND")
            return Stream(response.status_code, problem=problem)
        stream = Stream(200)
        async for event in source.aiter_sse():
            stream.events.append(event)
            if opened is not None and event.event == "snapshot":
                opened.set()
        return stream


async def sign_in(site: Site, ident: dict[str, str]) -> str:
    """A token valid at the clock's current time (tokens live 15 minutes of it)."""
    pair = await site.api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
    assert pair.status_code == 200, pair.text
    return str(pair.json()["accessToken"])


@dataclass
class Seller:
    ident: dict[str, str]
    token: str
    admin_ident: dict[str, str]
    category: int


async def seller_of(site: Site) -> Seller:
    admin_ident, admin = await sign_up_and_in(site.api)
    await promote(site.api, await user_id(site.api, admin["accessToken"]))  # type: ignore[arg-type]
    category = (await new_category(site.api, await sign_in(site, admin_ident)))["id"]  # type: ignore[arg-type]
    ident, tokens = await sign_up_and_in(site.api)  # type: ignore[arg-type]
    return Seller(ident, tokens["accessToken"], admin_ident, category)


async def list_lot(site: Site, seller: Seller, **overrides: Any) -> int:
    key = await upload_photo(site.api, seller.token)  # type: ignore[arg-type]
    body = lot_body(seller.category, [key], DAY, **overrides)
    created = await site.api.post("/api/v1/lots", json=body, headers=bearer(seller.token))
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def withdrawn(lot: int) -> dict[str, Any]:
    return {"lotId": lot, "status": "WITHDRAWN", "closesAt": f"{DAY}T18:00:00+09:00"}


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "asgi"])
async def test_watchers_of_a_withdrawn_lot_are_told_and_then_their_streams_end(
    deployment: dict[str, Any], clock: ManualClock, direct: bool
) -> None:
    async with served(deployment, clock, direct=direct) as site:
        seller = await seller_of(site)
        lot = await list_lot(site, seller)
        opened = [asyncio.Event(), asyncio.Event()]
        watchers = [asyncio.create_task(watch(site, lot, opened=ready)) for ready in opened]
        async with asyncio.timeout(GUARD_S):
            for ready in opened:  # each has its snapshot, so each is subscribed
                await ready.wait()

        deleted = await site.api.delete(f"/api/v1/lots/{lot}", headers=bearer(seller.token))
        assert deleted.status_code == 204, deleted.text
        async with asyncio.timeout(GUARD_S):
            streams = await asyncio.gather(*watchers)

        (logged,) = await site.events(lot)  # one event on the lot's stream, published once
        assert (logged.type, logged.data["status"]) == ("status", "WITHDRAWN")
        for stream in streams:
            assert stream.kinds == ["snapshot", "status"]  # and then the body ended
            assert stream.data(0)["status"] == "SCHEDULED"
            assert stream.data(1) == withdrawn(lot)
            assert stream.events[1].id == logged.id
        # The lot is gone for everyone, as GET says: a new stream is a 404 however it asks.
        assert_problem(await site.api.get(f"/api/v1/lots/{lot}"), 404, "NOT_FOUND")
        for last in (None, logged.id, "0-0"):
            assert (await watch(site, lot, last_event_id=last)).status == 404


async def test_a_withdrawal_racing_new_connections_never_leaves_one_open_on_a_lot_that_is_gone(
    deployment: dict[str, Any], clock: ManualClock
) -> None:
    """Connections arrive while the withdrawal commits and publishes: each either finds the lot
    gone (404) or gets the snapshot of the scheduled lot and then the withdrawal, and its end.
    None may get a snapshot and then silence, or a snapshot that says WITHDRAWN."""
    outcomes = {"404": 0, "told": 0}
    async with served(deployment, clock) as site:
        seller = await seller_of(site)
        lots = [await list_lot(site, seller) for _ in range(4)]
        for lot in lots:
            early = [watch(site, lot) for _ in range(8)]
            late = [watch(site, lot) for _ in range(8)]
            delete = site.api.delete(f"/api/v1/lots/{lot}", headers=bearer(seller.token))
            async with asyncio.timeout(GUARD_S):
                *streams, deleted = await asyncio.gather(*early, *late, delete)
            assert deleted.status_code == 204, deleted.text
            (logged,) = await site.events(lot)
            for stream in streams:
                if stream.status == 404:
                    outcomes["404"] += 1
                    continue
                assert stream.kinds == ["snapshot", "status"], stream.events
                assert stream.data(0)["status"] == "SCHEDULED"
                assert (stream.data(1), stream.events[1].id) == (withdrawn(lot), logged.id)
                outcomes["told"] += 1
    print(f"withdrawal race: {outcomes}")  # both kinds are expected; which depends on timing
    assert sum(outcomes.values()) == 64


async def test_a_relisted_lot_is_told_and_its_new_auction_starts_afresh_on_the_same_stream(
    deployment: dict[str, Any], clock: ManualClock
) -> None:
    """Sold, unpaid, lapsed, relisted, withdrawn: every move reaches a watcher, and a snapshot after
    the relisting counts no bid of the earlier auction."""
    async with served(deployment, clock) as site:
        seller = await seller_of(site)
        lot = await list_lot(site, seller, startPrice=10_000, bidIncrement=1_000)
        bidder_ident, _ = await sign_up_and_in(site.api)  # type: ignore[arg-type]

        async def admin_runs(transition: str) -> None:
            token = await sign_in(site, seller.admin_ident)
            ran = await site.api.post(f"/api/v1/admin/auction-days/{DAY}/{transition}", headers=bearer(token))
            assert ran.status_code == 200, ran.text

        clock.advance(timedelta(hours=23))  # 2026-11-26 09:00 KST
        await admin_runs("open")
        placed = await site.api.post(
            f"/api/v1/lots/{lot}/bids",
            json={"amount": 12_000},
            headers=bearer(await sign_in(site, bidder_ident)),
        )
        assert placed.status_code == 201, placed.text
        clock.advance(timedelta(hours=9))  # 18:00: sold
        await admin_runs("close")
        clock.advance(timedelta(hours=73))  # the winner never paid
        await site.state.auction_days.expire_awards(trigger="test")

        opened = asyncio.Event()
        watcher = asyncio.create_task(watch(site, lot, opened=opened))
        async with asyncio.timeout(GUARD_S):
            await opened.wait()
        seller_token = await sign_in(site, seller.ident)
        relisted = await site.api.post(
            f"/api/v1/lots/{lot}/relist", json={"auctionDay": "2026-12-01"}, headers=bearer(seller_token)
        )
        assert relisted.status_code == 200, relisted.text
        after = await watch_first(site, lot)  # a new connection, after the relisting
        assert (await site.api.delete(f"/api/v1/lots/{lot}", headers=bearer(seller_token))).status_code == 204
        async with asyncio.timeout(GUARD_S):
            stream = await watcher

        assert [e.data["status"] for e in await site.events(lot) if e.type == "status"] == [
            "OPEN",
            "SOLD",
            "UNSOLD",
            "SCHEDULED",
            "WITHDRAWN",
        ]
        assert stream.kinds == ["snapshot", "status", "status"], [
            (e.event, e.data, e.id) for e in stream.events
        ]
        assert {k: stream.data(0)[k] for k in ("status", "currentPrice", "bidCount")} == {
            "status": "UNSOLD",
            "currentPrice": 12_000,
            "bidCount": 1,
        }
        new_close = "2026-12-01T18:00:00+09:00"
        assert stream.data(1) == {
            "lotId": lot,
            "status": "SCHEDULED",
            "closesAt": new_close,
            "reason": "relisted",
        }
        assert stream.data(2) == {"lotId": lot, "status": "WITHDRAWN", "closesAt": new_close}
        assert after == {
            "lotId": lot,
            "status": "SCHEDULED",
            "currentPrice": 10_000,
            "bidCount": 0,
            "closesAt": new_close,
        }


async def watch_first(site: Site, lot: int) -> dict[str, Any]:
    """A new connection's snapshot (then it hangs up)."""
    async with aconnect_sse(site.sse, "GET", f"/sse/v1/lots/{lot}/events") as source:
        assert source.response.status_code == 200
        async for event in source.aiter_sse():
            assert event.event == "snapshot"
            parsed: dict[str, Any] = json.loads(event.data)
            return parsed
    raise AssertionError("the stream ended before its snapshot")
