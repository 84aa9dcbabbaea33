"""Listing a lot: photos upload the moment they are chosen (the seed's latency hiding), then the form.

The browser asks this page for a presigned upload (the catalog's use case, as ``POST
/api/v1/uploads/images`` does), sends the file straight to storage with progress shown, and the
form carries only the keys, exactly as an API client lists a lot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from sagopalgo.api.web import views
from sagopalgo.api.web.messages import for_error
from sagopalgo.catalog.adapters.http.schemas import UploadIn, UploadOut
from sagopalgo.catalog.application.service import CatalogService, NewLot
from sagopalgo.catalog.domain.lot import MAX_IMAGES
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.kernel.errors import DomainError, Invalid
from sagopalgo.kernel.identity import Principal
from sagopalgo.platform.http.problems import status_for

__all__ = ["SellPages"]


@dataclass
class SellForm:
    """The form as the seller filled it in, echoed back when the listing is refused."""

    title: str = ""
    description: str = ""
    category_id: str = ""
    start_price: str = ""
    bid_increment: str = ""
    auction_day: str = ""
    extended_bidding: bool = True
    image_keys: list[str] = field(default_factory=list)

    def new_lot(self) -> NewLot:
        """The use case's input; only shapes are judged here (numbers, a date), never the rules."""
        if not self.category_id.isdigit():
            raise Invalid("Choose a category.", field="categoryId")
        try:
            day = date.fromisoformat(self.auction_day)
        except ValueError:
            raise Invalid("auctionDay must be a date.", field="auctionDay") from None
        return NewLot(
            title=self.title,
            description=self.description,
            category_id=int(self.category_id),
            start_price=views.parse_won(self.start_price, field="startPrice"),
            bid_increment=views.parse_won(self.bid_increment, field="bidIncrement"),
            auction_day=day,
            image_keys=tuple(self.image_keys),
            extended_bidding=self.extended_bidding,
        )


class SellPages(Controller):
    path = "/sell"

    @get("/", name="web:sell")
    async def form(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        catalog: NamedDependency[CatalogService],
    ) -> Template:
        return await self._form(
            request, user, catalog, SellForm(auction_day=self._first_day(request, catalog.window))
        )

    @post("/uploads", name="web:upload", status_code=201)
    async def upload(
        self,
        data: JSONBody[UploadIn],
        user: NamedDependency[Principal],
        catalog: NamedDependency[CatalogService],
    ) -> UploadOut:
        """A presigned upload for one photo (JSON, for the page's script)."""
        ticket = await catalog.request_upload(user, data.content_type, data.size)
        return UploadOut(ticket.key, ticket.url, ticket.fields, ticket.expires_at)

    @post("/", name="web:sell-post", status_code=303)
    async def sell(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        catalog: NamedDependency[CatalogService],
    ) -> Redirect | Template:
        data = await request.form()
        form = SellForm(
            title=views.text(data, "title"),
            description=str(data.get("description") or "").strip(),
            category_id=views.text(data, "categoryId"),
            start_price=views.text(data, "startPrice"),
            bid_increment=views.text(data, "bidIncrement"),
            auction_day=views.text(data, "auctionDay"),
            extended_bidding=data.get("extendedBidding") == "on",
            image_keys=[k for k in data.getall("imageKeys", []) if isinstance(k, str) and k],
        )
        try:
            lot = await catalog.create_lot(user, form.new_lot())
        except DomainError as refused:
            return await self._form(request, user, catalog, form, status=status_for(refused), refused=refused)
        views.notice(request, "물품을 등록했습니다. 경매일 09:00에 입찰이 시작됩니다.")
        return Redirect(f"/lots/{lot.id}", status_code=303)

    @staticmethod
    def _first_day(request: Request[Any, Any, Any], window: AuctionWindow) -> str:
        """The first day a lot may be listed for: today before its opening, else tomorrow (KST)."""
        now = request.app.state.clock.now()
        today = window.seoul_day(now)
        return (today if now < window.opens_at(today) else today + timedelta(days=1)).isoformat()

    async def _form(
        self,
        request: Request[Any, Any, Any],
        user: Principal,
        catalog: CatalogService,
        form: SellForm,
        *,
        status: int = 200,
        refused: DomainError | None = None,
    ) -> Template:
        window = catalog.window
        settings = request.app.state.settings
        return views.page(
            request,
            "sell.html",
            viewer=user,
            status=status,
            form=form,
            categories=await catalog.categories(),
            first_day=self._first_day(request, window),
            opens=f"{window.opens:%H:%M}",
            closes=f"{window.closes:%H:%M}",
            max_images=MAX_IMAGES,
            max_mb=settings.image_max_bytes // (1024 * 1024),
            error=for_error(refused) if refused else None,
            code=refused.code if refused else None,
        )
