"""The auction day over HTTP: an admin runs a transition now; winners list their awards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter

from sagopalgo.bidding.application.auction_day import AuctionDayService
from sagopalgo.bidding.application.awards import AwardsService
from sagopalgo.bidding.contract import AwardStatus
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.http.params import PageNo, PageSize
from sagopalgo.platform.http.problems import problem_responses

__all__ = ["AuctionDaysController", "AwardsController"]

_AUTH: list[dict[str, list[str]]] = [{"BearerToken": []}]


class DayRunOut(msgspec.Struct):
    day: date
    changed: int
    """Lots this run moved (0 when the transition had run already: it is idempotent)."""


class AwardLotOut(msgspec.Struct):
    id: int
    title: str


class AwardOut(msgspec.Struct, rename="camel"):
    id: int
    lot: AwardLotOut
    amount: int
    status: AwardStatus
    pay_by: datetime


class AwardPageOut(msgspec.Struct):
    items: list[AwardOut]
    page: int
    size: int
    total: int


async def provide_days(request: Request[Any, Any, Any]) -> AuctionDayService:
    days: AuctionDayService = request.app.state.auction_days
    return days


async def provide_awards(request: Request[Any, Any, Any]) -> AwardsService:
    awards: AwardsService = request.app.state.awards
    return awards


class AuctionDaysController(Controller):
    path = "/api/v1/admin/auction-days"
    tags = ["operations"]
    dependencies = {"days": Provide(provide_days)}

    @post(
        # ``day`` is parsed by its annotation, not the route: a malformed day is then a 400 naming
        # the field, where a ``{day:date}`` route would match nothing and answer 404.
        "/{day:str}/{transition:str}",
        status_code=200,
        summary="Run a day's open or close now (admin; idempotent; what the schedule runs)",
        responses=problem_responses(400, 401, 403, 503),
        security=_AUTH,
    )
    async def run(
        self,
        day: Annotated[date, PathParameter(description="the auction day, YYYY-MM-DD (Asia/Seoul)")],
        transition: Annotated[Literal["open", "close"], PathParameter(description="open or close")],
        request: Request[Principal, Any, Any],
        days: NamedDependency[AuctionDayService],
    ) -> DayRunOut:
        run = await days.run_for(request.user, day, transition)
        return DayRunOut(run.day, run.changed)


class AwardsController(Controller):
    path = "/api/v1/me/awards"
    tags = ["awards"]
    dependencies = {"awards": Provide(provide_awards)}

    @get(
        "/",
        summary="Lots the caller won, newest first",
        responses=problem_responses(400, 401),
        security=_AUTH,
    )
    async def my_awards(
        self,
        request: Request[Principal, Any, Any],
        awards: NamedDependency[AwardsService],
        page: PageNo = 1,
        size: PageSize = 20,
    ) -> AwardPageOut:
        found = await awards.my_awards(request.user, PageRequest(page, size))
        items = [
            AwardOut(a.id, AwardLotOut(a.lot_id, title), a.amount, a.status, a.pay_by.astimezone(SEOUL))
            for a, title in found.items
        ]
        return AwardPageOut(items, found.page, found.size, found.total)
