"""The catalog endpoints of API.md: categories, image uploads and lots."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from sagopalgo.catalog.adapters.http.schemas import (
    CategoryIn,
    CategoryOut,
    FeaturedOut,
    LotEditIn,
    LotIn,
    LotOut,
    LotPageOut,
    RelistIn,
    UploadIn,
    UploadOut,
    lot_out,
    lot_summary_out,
)
from sagopalgo.catalog.application.service import CatalogService, LotChanges, NewLot
from sagopalgo.catalog.contract import LotStatus, LotView
from sagopalgo.catalog.ports import LotQuery, LotSort
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import Page, PageRequest
from sagopalgo.platform.http.idempotency import idempotent
from sagopalgo.platform.http.params import Id, IdempotencyKey, PageNo, PageSize
from sagopalgo.platform.http.problems import problem_responses

__all__ = ["CategoriesController", "LotsController", "UploadsController", "provide_catalog"]

_AUTH: list[dict[str, list[str]]] = [{"BearerToken": []}]


async def provide_catalog(request: Request[Any, Any, Any]) -> CatalogService:
    service: CatalogService = request.app.state.catalog
    return service


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.app.state.settings.image_base_url)


def _page(result: Page[LotView], base: str) -> LotPageOut:
    return LotPageOut(
        [lot_summary_out(v, base) for v in result.items], result.page, result.size, result.total
    )


class CategoriesController(Controller):
    path = "/api/v1/categories"
    tags = ["categories"]
    dependencies = {"catalog": Provide(provide_catalog)}

    @get("/", exclude_from_auth=True, summary="All categories")
    async def list_categories(self, catalog: NamedDependency[CatalogService]) -> list[CategoryOut]:
        return [CategoryOut(c.id, c.name) for c in await catalog.categories()]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Create a category (admin)",
        opt=idempotent,
        responses=problem_responses(400, 401, 403, 409, 422),
        security=_AUTH,
    )
    async def create_category(
        self,
        data: JSONBody[CategoryIn],
        request: Request[Principal, Any, Any],
        catalog: NamedDependency[CatalogService],
        idempotency_key: IdempotencyKey = None,
    ) -> CategoryOut:
        del idempotency_key  # acted on by IdempotencyMiddleware before the handler runs
        view = await catalog.create_category(request.user, data.name)
        return CategoryOut(view.id, view.name)

    @patch(
        "/{category_id:int}",
        summary="Rename a category (admin)",
        responses=problem_responses(400, 401, 403, 404, 409),
        security=_AUTH,
    )
    async def rename_category(
        self,
        category_id: Id,
        data: JSONBody[CategoryIn],
        request: Request[Principal, Any, Any],
        catalog: NamedDependency[CatalogService],
    ) -> CategoryOut:
        view = await catalog.rename_category(request.user, category_id, data.name)
        return CategoryOut(view.id, view.name)

    @delete(
        "/{category_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete a category no lot uses (admin)",
        responses=problem_responses(400, 401, 403, 404, 409),
        security=_AUTH,
    )
    async def delete_category(
        self, category_id: Id, request: Request[Principal, Any, Any], catalog: NamedDependency[CatalogService]
    ) -> None:
        await catalog.delete_category(request.user, category_id)


class UploadsController(Controller):
    path = "/api/v1/uploads"
    tags = ["images"]
    dependencies = {"catalog": Provide(provide_catalog)}

    @post(
        "/images",
        status_code=HTTP_201_CREATED,
        summary="Get a presigned POST for one photo; send the file straight to uploadUrl",
        opt=idempotent,
        responses=problem_responses(400, 401, 409, 413, 415, 422),
        security=_AUTH,
    )
    async def request_upload(
        self,
        data: JSONBody[UploadIn],
        request: Request[Principal, Any, Any],
        catalog: NamedDependency[CatalogService],
        idempotency_key: IdempotencyKey = None,
    ) -> UploadOut:
        del idempotency_key  # acted on by IdempotencyMiddleware before the handler runs
        ticket = await catalog.request_upload(request.user, data.content_type, data.size)
        return UploadOut(ticket.key, ticket.url, ticket.fields, ticket.expires_at)


class LotsController(Controller):
    path = "/api/v1"
    tags = ["lots"]
    dependencies = {"catalog": Provide(provide_catalog)}

    @post(
        "/lots",
        status_code=HTTP_201_CREATED,
        summary="List a lot for a coming day",
        opt=idempotent,
        responses=problem_responses(400, 401, 409, 413, 422),
        security=_AUTH,
    )
    async def create_lot(
        self,
        data: JSONBody[LotIn],
        request: Request[Principal, Any, Any],
        catalog: NamedDependency[CatalogService],
        idempotency_key: IdempotencyKey = None,
    ) -> LotOut:
        del idempotency_key  # acted on by IdempotencyMiddleware before the handler runs
        view = await catalog.create_lot(
            request.user,
            NewLot(
                title=data.title,
                description=data.description,
                category_id=data.category_id,
                start_price=data.start_price,
                bid_increment=data.bid_increment,
                auction_day=data.auction_day,
                image_keys=tuple(data.image_keys),
                extended_bidding=data.extended_bidding,
            ),
        )
        return lot_out(view, _base(request))

    @get(
        "/lots",
        exclude_from_auth=True,
        summary="Lots, filtered and sorted (withdrawn lots are not listed)",
        responses=problem_responses(400),
    )
    async def list_lots(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        status: Annotated[list[LotStatus] | None, QueryParameter(description="any of these")] = None,
        category_id: Annotated[int | None, QueryParameter(name="categoryId", ge=1, le=2**63 - 1)] = None,
        auction_day: Annotated[date | None, QueryParameter(name="auctionDay")] = None,
        seller_id: Annotated[int | None, QueryParameter(name="sellerId", ge=1, le=2**63 - 1)] = None,
        sort: Annotated[LotSort, QueryParameter()] = LotSort.NEWEST,
        page: PageNo = 1,
        size: PageSize = 20,
    ) -> LotPageOut:
        query = LotQuery(frozenset(status or ()), category_id, auction_day, seller_id, sort)
        return _page(await catalog.find_lots(query, PageRequest(page, size)), _base(request))

    @get(
        "/lots/featured",
        exclude_from_auth=True,
        summary="The main page: today's lots by the time of day in Korea",
        responses=problem_responses(400),
    )
    async def featured(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        page: PageNo = 1,
        size: PageSize = 20,
    ) -> FeaturedOut:
        result = await catalog.featured(PageRequest(page, size))
        base = _base(request)
        return FeaturedOut(
            items=[lot_summary_out(v, base) for v in result.lots.items],
            page=result.lots.page,
            size=result.lots.size,
            total=result.lots.total,
            auction_day=result.day,
            phase=result.phase.value,
        )

    @get(
        "/lots/{lot_id:int}",
        exclude_from_auth=True,
        summary="One lot (may be up to a few seconds stale)",
        responses=problem_responses(400, 404),
    )
    async def get_lot(
        self, lot_id: Id, request: Request[Any, Any, Any], catalog: NamedDependency[CatalogService]
    ) -> LotOut:
        return lot_out(await catalog.lot(lot_id), _base(request))

    @patch(
        "/lots/{lot_id:int}",
        summary="Edit a scheduled lot (seller)",
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        security=_AUTH,
    )
    async def edit_lot(
        self,
        lot_id: Id,
        data: JSONBody[LotEditIn],
        request: Request[Principal, Any, Any],
        catalog: NamedDependency[CatalogService],
    ) -> LotOut:
        changes = LotChanges(
            title=data.title,
            description=data.description,
            category_id=data.category_id,
            start_price=data.start_price,
            bid_increment=data.bid_increment,
            image_keys=tuple(data.image_keys) if data.image_keys is not None else None,
            extended_bidding=data.extended_bidding,
        )
        return lot_out(await catalog.edit_lot(request.user, lot_id, changes), _base(request))

    @delete(
        "/lots/{lot_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Withdraw a scheduled lot (seller or admin)",
        responses=problem_responses(400, 401, 403, 404, 409),
        security=_AUTH,
    )
    async def withdraw_lot(
        self, lot_id: Id, request: Request[Principal, Any, Any], catalog: NamedDependency[CatalogService]
    ) -> None:
        await catalog.withdraw_lot(request.user, lot_id)

    @post(
        "/lots/{lot_id:int}/relist",
        status_code=200,
        summary="Relist an unsold lot for a coming day (seller)",
        opt=idempotent,
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        security=_AUTH,
    )
    async def relist_lot(
        self,
        lot_id: Id,
        data: JSONBody[RelistIn],
        request: Request[Principal, Any, Any],
        catalog: NamedDependency[CatalogService],
        idempotency_key: IdempotencyKey = None,
    ) -> LotOut:
        del idempotency_key  # acted on by IdempotencyMiddleware before the handler runs
        return lot_out(await catalog.relist_lot(request.user, lot_id, data.auction_day), _base(request))

    @get(
        "/me/lots",
        summary="The caller's listings, any status",
        responses=problem_responses(400, 401),
        security=_AUTH,
    )
    async def my_lots(
        self,
        request: Request[Principal, Any, Any],
        catalog: NamedDependency[CatalogService],
        page: PageNo = 1,
        size: PageSize = 20,
    ) -> LotPageOut:
        return _page(await catalog.my_lots(request.user, PageRequest(page, size)), _base(request))
