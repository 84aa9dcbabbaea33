"""``GET /api/v1/search/lots``: anyone may search; withdrawn lots are never found."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from sagopalgo.catalog.contract import LotStatus
from sagopalgo.kernel.money import INT64_MAX
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.http.params import PageNo, PageSize
from sagopalgo.platform.http.problems import problem_responses
from sagopalgo.search.adapters.http.schemas import SearchPageOut, search_page_out
from sagopalgo.search.application.indexer import Indexer
from sagopalgo.search.application.service import SearchService
from sagopalgo.search.domain.query import MAX_QUERY_LENGTH, SearchSort

__all__ = ["SearchController", "SearchIndexerController", "provide_search"]


async def provide_search(request: Request[Any, Any, Any]) -> SearchService:
    service: SearchService = request.app.state.search
    return service


class SearchController(Controller):
    path = "/api/v1/search"
    tags = ["search"]
    dependencies = {"search": Provide(provide_search)}

    @get(
        "/lots",
        exclude_from_auth=True,
        summary="Search lots: Korean-aware text, filters, sorts and facets",
        description=(
            "Every word of `q` must occur in the title or description. Korean is matched by "
            "syllable bigrams, so two-syllable words match inside longer ones (`청자` finds "
            "`고려청자`) and a trailing particle is ignored (`달항아리를`). Filters combine with AND; "
            "`status` may repeat (any of them). Facets are disjunctive: `category` counts apply every "
            "filter but `categoryId`, `status` counts every filter but `status`. `sort` defaults to "
            "`relevance` when `q` is given, else `newest`. Changes reach search within about a second."
        ),
        responses=problem_responses(400, 503),
    )
    async def search_lots(
        self,
        request: Request[Any, Any, Any],
        search: NamedDependency[SearchService],
        q: Annotated[
            str | None, QueryParameter(max_length=MAX_QUERY_LENGTH, description="search words")
        ] = None,
        category_id: Annotated[int | None, QueryParameter(name="categoryId", ge=1, le=INT64_MAX)] = None,
        status: Annotated[list[LotStatus] | None, QueryParameter(description="any of these")] = None,
        min_price: Annotated[
            int | None, QueryParameter(name="minPrice", ge=0, le=INT64_MAX, description="KRW, inclusive")
        ] = None,
        max_price: Annotated[
            int | None, QueryParameter(name="maxPrice", ge=0, le=INT64_MAX, description="KRW, inclusive")
        ] = None,
        auction_day: Annotated[date | None, QueryParameter(name="auctionDay")] = None,
        sort: Annotated[SearchSort | None, QueryParameter()] = None,
        page: PageNo = 1,
        size: PageSize = 20,
    ) -> SearchPageOut:
        result = await search.search(
            PageRequest(page, size),
            q=q,
            category_id=category_id,
            statuses=[s.value for s in status or ()],
            min_price=min_price,
            max_price=max_price,
            auction_day=auction_day,
            sort=sort,
        )
        return search_page_out(result, str(request.app.state.settings.image_base_url))


class IndexerOut(msgspec.Struct, rename="camel"):
    indexed: int
    pending: int
    lag_p50_ms: float | None
    lag_p99_ms: float | None


async def provide_indexer(request: Request[Any, Any, Any]) -> Indexer:
    indexer: Indexer = request.app.state.indexer
    return indexer


class SearchIndexerController(Controller):
    """How far behind the catalog this process's search indexer runs (README, Operations)."""

    path = "/health/search-indexer"
    tags = ["operations"]
    dependencies = {"indexer": Provide(provide_indexer)}

    @get("/", exclude_from_auth=True, summary="This process's search indexer: lots indexed, pending and lag")
    async def search_indexer(self, indexer: NamedDependency[Indexer]) -> IndexerOut:
        stats = indexer.stats
        return IndexerOut(stats.indexed, indexer.pending, stats.percentile(50), stats.percentile(99))
