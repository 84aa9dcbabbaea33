"""Bids over HTTP: place one (with an optional maximum and Idempotency-Key), a lot's history, mine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from sagopalgo.bidding.adapters.events import alias_name
from sagopalgo.bidding.application.service import BiddingService
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.http.params import Id, IdempotencyKey, PageNo, PageSize
from sagopalgo.platform.http.problems import problem_responses
from sagopalgo.platform.ratelimit import check_rate

__all__ = ["BidWriterController", "BidsController", "check_bid_rate", "provide_bidding"]

_AUTH: list[dict[str, list[str]]] = [{"BearerToken": []}]


async def check_bid_rate(connection: ASGIConnection[Any, Any, Any, Any], user: Principal) -> None:
    """One bid against ``user``'s budget, per user across API processes, whichever door it came by.

    The bid route checks it as a guard (before the body is read, so a refusal changes nothing);
    the web bid form, which knows its user only in the handler, calls it first thing.
    """
    state = connection.app.state
    await check_rate(
        state.bid_rate_limiter, f"bid:user:{user.user_id}", state.settings.bid_rate_limit_per_minute
    )


async def _bid_rate_guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    await check_bid_rate(connection, connection.user)


class BidIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    amount: int
    max_amount: int | None = None


class BidOut(msgspec.Struct, rename="camel"):
    id: str | None
    """The caller's visible bid; ``null`` when the request only raised their maximum."""
    lot_id: int
    amount: int
    max_amount: int
    placed_at: datetime
    current_price: int
    bid_count: int
    leading: bool
    closes_at: datetime


class BidHistoryOut(msgspec.Struct, rename="camel"):
    amount: int
    placed_at: datetime
    bidder: str


class BidPageOut(msgspec.Struct):
    items: list[BidHistoryOut]
    page: int
    size: int
    total: int


class MyBidOut(msgspec.Struct, rename="camel"):
    lot_id: int
    amount: int
    placed_at: datetime
    leading: bool


class MyBidPageOut(msgspec.Struct):
    items: list[MyBidOut]
    page: int
    size: int
    total: int


async def provide_bidding(request: Request[Any, Any, Any]) -> BiddingService:
    service: BiddingService = request.app.state.bidding
    return service


def _seoul(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(SEOUL)


class BidsController(Controller):
    path = "/api/v1"
    tags = ["bids"]
    dependencies = {"bidding": Provide(provide_bidding)}

    @post(
        "/lots/{lot_id:int}/bids",
        status_code=HTTP_201_CREATED,
        summary="Bid on an open lot (optionally up to a maximum the house bids for you)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 429),
        security=_AUTH,
        guards=[_bid_rate_guard],
    )
    async def place_bid(
        self,
        lot_id: Id,
        data: JSONBody[BidIn],
        request: Request[Principal, Any, Any],
        bidding: NamedDependency[BiddingService],
        idempotency_key: IdempotencyKey = None,
    ) -> BidOut:
        result = await bidding.place_bid(
            request.user,
            lot_id,
            amount=data.amount,
            max_amount=data.max_amount,
            idempotency_key=idempotency_key,
        )
        state = result.acceptance.state
        return BidOut(
            id=result.bid_id,
            lot_id=lot_id,
            amount=result.shown_amount,
            max_amount=result.max_amount,
            placed_at=_seoul(result.placed_at_ms),
            current_price=state.price,
            bid_count=state.count,
            leading=result.leading,
            closes_at=_seoul(state.closes_ms),
        )

    @get(
        "/lots/{lot_id:int}/bids",
        exclude_from_auth=True,
        summary="A lot's bids, newest first (bidders by per-lot alias)",
        responses=problem_responses(400, 404),
    )
    async def lot_bids(
        self, lot_id: Id, bidding: NamedDependency[BiddingService], page: PageNo = 1, size: PageSize = 20
    ) -> BidPageOut:
        found = await bidding.history(lot_id, PageRequest(page, size))
        items = [
            BidHistoryOut(b.amount, b.placed_at.astimezone(SEOUL), alias_name(b.alias)) for b in found.items
        ]
        return BidPageOut(items, found.page, found.size, found.total)

    @get("/me/bids", summary="The caller's bids", responses=problem_responses(400, 401), security=_AUTH)
    async def my_bids(
        self,
        request: Request[Principal, Any, Any],
        bidding: NamedDependency[BiddingService],
        page: PageNo = 1,
        size: PageSize = 20,
    ) -> MyBidPageOut:
        found = await bidding.my_bids(request.user, PageRequest(page, size))
        items = [MyBidOut(b.lot_id, b.amount, b.placed_at.astimezone(SEOUL), b.leading) for b in found.items]
        return MyBidPageOut(items, found.page, found.size, found.total)


class BidWriterOut(msgspec.Struct, rename="camel"):
    written: int
    """Bid-log entries this process has committed since it started."""
    lag_p50_ms: int | None
    lag_p99_ms: int | None
    """Accepted by the gate → committed to the database, over the last 100,000 entries."""
    dead_lettered: int = 0
    """Poison entries this process moved out of the bid log (README, Operations); alert on any."""


class BidWriterController(Controller):
    """The bid-log writer's lag: what a total loss of Redis could cost (README, Operations)."""

    path = "/health/bid-writer"
    tags = ["operations"]
    dependencies = {"bidding": Provide(provide_bidding)}

    @get("/", exclude_from_auth=True, summary="This process's bid-log writer: entries written and lag")
    async def bid_writer(self, bidding: NamedDependency[BiddingService]) -> BidWriterOut:
        stats = bidding.writer_stats
        return BidWriterOut(stats.written, stats.percentile(50), stats.percentile(99), bidding.dead_lettered)
