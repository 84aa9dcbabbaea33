"""A user's own pages: the lots they list, the bids they placed, the lots they won."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from sagopalgo.api.web import views
from sagopalgo.bidding.application.awards import AwardsService
from sagopalgo.bidding.application.service import BiddingService
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.http.params import PageNo

__all__ = ["MyPages"]

SIZE = 20


class MyPages(Controller):
    path = "/me"

    @get("/lots", name="web:my-lots")
    async def my_lots(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        catalog: NamedDependency[CatalogService],
        page: PageNo = 1,
    ) -> Template:
        lots = await catalog.my_lots(user, PageRequest(page, SIZE))
        return views.page(
            request, "my_lots.html", viewer=user, lots=lots, page_link=lambda n: f"/me/lots?page={n}"
        )

    @get("/bids", name="web:my-bids")
    async def my_bids(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        bidding: NamedDependency[BiddingService],
        catalog: NamedDependency[CatalogService],
        page: PageNo = 1,
    ) -> Template:
        bids = await bidding.my_bids(user, PageRequest(page, SIZE))
        titles = await catalog.titles(sorted({b.lot_id for b in bids.items}))
        return views.page(
            request,
            "my_bids.html",
            viewer=user,
            bids=bids,
            titles=titles,
            page_link=lambda n: f"/me/bids?page={n}",
        )

    @get("/awards", name="web:my-awards")
    async def my_awards(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        awards: NamedDependency[AwardsService],
        page: PageNo = 1,
    ) -> Template:
        found = await awards.my_awards(user, PageRequest(page, SIZE))
        return views.page(
            request,
            "my_awards.html",
            viewer=user,
            awards=found,
            page_link=lambda n: f"/me/awards?page={n}",
        )
