"""A lot's page: photos, the live price and countdown, the bid form and the bid history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from sagopalgo.api.web import views
from sagopalgo.api.web.messages import for_error
from sagopalgo.api.web.present import bidder, won
from sagopalgo.bidding.adapters.events import alias_name
from sagopalgo.bidding.adapters.http.controllers import check_bid_rate
from sagopalgo.bidding.application.service import BiddingService, BidResult
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.kernel.errors import DomainError, RateLimited
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import Page, PageRequest
from sagopalgo.platform.http.params import Id
from sagopalgo.platform.http.problems import status_for

__all__ = ["LotPages"]

HISTORY_SIZE = 20


@dataclass(frozen=True, slots=True)
class HistoryRow:
    amount: int
    bidder: str
    placed_at: datetime


async def _history(bidding: BiddingService, lot_id: int) -> Page[HistoryRow]:
    found = await bidding.history(lot_id, PageRequest(1, HISTORY_SIZE))
    return found.map(lambda b: HistoryRow(b.amount, bidder(alias_name(b.alias)), b.placed_at))


def _accepted(result: BidResult) -> str:
    said = f"{won(result.shown_amount)}에 입찰했습니다."
    if result.max_amount > result.amount:
        said += f" 최대 {won(result.max_amount)}까지 자동으로 입찰합니다."
    if result.leading:
        return said + " 지금 최고 입찰자입니다."
    return said + f" 다른 입찰자의 최대 입찰가가 더 높아 현재가는 {won(result.acceptance.state.price)}입니다."


class LotPages(Controller):
    path = "/lots"

    @get("/{lot_id:int}", name="web:lot")
    async def lot(
        self,
        lot_id: Id,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Principal | None],
        catalog: NamedDependency[CatalogService],
        bidding: NamedDependency[BiddingService],
    ) -> Template:
        return await self._page(request, lot_id, viewer, catalog, bidding)

    @get("/{lot_id:int}/history", name="web:lot-history")
    async def history(self, lot_id: Id, bidding: NamedDependency[BiddingService]) -> Template:
        """The history fragment a page fetches when its live stream shows bids it has not listed."""
        return views.fragment("_history.html", history=await _history(bidding, lot_id))

    @post("/{lot_id:int}/bids", name="web:bid", status_code=200)
    async def bid(
        self,
        lot_id: Id,
        request: Request[Any, Any, Any],
        user: NamedDependency[Principal],
        catalog: NamedDependency[CatalogService],
        bidding: NamedDependency[BiddingService],
    ) -> Template:
        """Place a bid with the API's use case; a refusal says why, in the panel, with its status."""
        form = await request.form()
        amount_text, max_text = views.text(form, "amount"), views.text(form, "maxAmount")
        status, ok, code, headers = 200, True, None, None
        try:
            await check_bid_rate(request, user)  # the API's budget: one per user, whichever door
            amount = views.parse_won(amount_text, field="amount")
            max_amount = views.parse_won(max_text, field="maxAmount") if max_text else None
            result = await bidding.place_bid(
                user,
                lot_id,
                amount=amount,
                max_amount=max_amount,
                idempotency_key=views.text(form, "idempotencyKey") or None,
            )
            message = _accepted(result)
        except DomainError as refused:
            status, ok, code, message = status_for(refused), False, refused.code, for_error(refused)
            if isinstance(refused, RateLimited):
                headers = {"Retry-After": str(refused.retry_after)}
        panel = {
            "bid_message": message,
            "bid_ok": ok,
            "bid_code": code,
            "amount": None if ok else amount_text,
            "max_amount": None if ok else max_text,
        }
        if views.is_htmx(request):
            lot = await catalog.lot(lot_id)
            return views.fragment(
                "_bid_panel.html",
                status=status,
                headers=headers,
                lot=lot,
                viewer=user,
                idempotency_key=uuid.uuid4().hex,
                **panel,
            )
        return await self._page(
            request, lot_id, user, catalog, bidding, status=status, headers=headers, **panel
        )

    async def _page(
        self,
        request: Request[Any, Any, Any],
        lot_id: int,
        viewer: Principal | None,
        catalog: CatalogService,
        bidding: BiddingService,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **panel: Any,
    ) -> Template:
        lot = await catalog.lot(lot_id)
        settings = request.app.state.settings
        return views.page(
            request,
            "lot.html",
            viewer=viewer,
            status=status,
            headers=headers,
            lot=lot,
            history=await _history(bidding, lot_id),
            sse_url=settings.sse_base_url,
            extension_minutes=settings.extension_minutes,
            idempotency_key=uuid.uuid4().hex,
            **panel,
        )
