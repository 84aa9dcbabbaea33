"""The main page (today's lots by the time of day in Korea) and the search page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from sagopalgo.api.web import views
from sagopalgo.api.web.search import PUBLIC_STATUSES, SearchQuery, search_lots
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.catalog.contract import LotStatus
from sagopalgo.catalog.domain.schedule import DayPhase
from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.http.params import PageNo
from sagopalgo.search.application.service import SearchService
from sagopalgo.search.domain.query import MAX_QUERY_LENGTH, SearchSort

__all__ = ["BrowsePages"]

PAGE_SIZE = 24
_HOME = {
    DayPhase.UPCOMING: ("오늘 열리는 경매", "09:00에 입찰이 시작됩니다", "오늘 열리는 경매가 아직 없습니다."),
    DayPhase.OPEN: ("지금 진행 중인 경매", "마감이 가까운 순서입니다", "지금 진행 중인 경매가 없습니다."),
    DayPhase.CLOSED: ("오늘 마감된 경매", "낙찰가가 높은 순서입니다", "오늘 마감된 경매가 없습니다."),
}
SORTS = (
    ("", "기본 (검색어가 있으면 관련도순, 없으면 최신순)"),
    (SearchSort.RELEVANCE.value, "관련도순"),
    (SearchSort.CLOSING_SOON.value, "마감 임박순"),
    (SearchSort.NEWEST.value, "최신 등록순"),
    (SearchSort.PRICE_ASC.value, "낮은 가격순"),
    (SearchSort.PRICE_DESC.value, "높은 가격순"),
    (SearchSort.BID_COUNT_DESC.value, "입찰 많은순"),
)


class BrowsePages(Controller):
    path = "/"

    @get("/", name="web:home")
    async def home(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Principal | None],
        catalog: NamedDependency[CatalogService],
        page: PageNo = 1,
    ) -> Template:
        featured = await catalog.featured(PageRequest(page, PAGE_SIZE))
        heading, subheading, empty = _HOME[featured.phase]
        return views.page(
            request,
            "home.html",
            viewer=viewer,
            heading=heading,
            subheading=subheading,
            empty=empty,
            day=featured.day,
            lots=featured.lots,
            page_link=lambda n: f"/?page={n}",
        )

    @get("/search", name="web:search")
    async def search(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Principal | None],
        catalog: NamedDependency[CatalogService],
        search: NamedDependency[SearchService],
        q: Annotated[str, QueryParameter(max_length=MAX_QUERY_LENGTH)] = "",
        status: Annotated[list[str] | None, QueryParameter(description="any of these")] = None,
        category_id: Annotated[str, QueryParameter(name="categoryId", max_length=20)] = "",
        auction_day: Annotated[str, QueryParameter(name="auctionDay", max_length=10)] = "",
        min_price: Annotated[str, QueryParameter(name="minPrice", max_length=30)] = "",
        max_price: Annotated[str, QueryParameter(name="maxPrice", max_length=30)] = "",
        sort: Annotated[str, QueryParameter(max_length=20)] = "",
        page: PageNo = 1,
    ) -> Template:
        form = {
            "q": q.strip(),
            "status": [s for s in status or [] if s],
            "categoryId": category_id,
            "auctionDay": auction_day,
            "minPrice": min_price,
            "maxPrice": max_price,
            "sort": sort,
        }
        query = _search_query(form)
        result = await search_lots(search, query, PageRequest(page, PAGE_SIZE))

        def link(**changes: Any) -> str:
            merged = {k: v for k, v in {**form, **changes}.items() if v not in ("", [], None)}
            return "/search?" + urlencode(merged, doseq=True)

        context: dict[str, Any] = {
            "form": form,
            "query": query,
            "result": result,
            "categories": await catalog.categories(),
            "statuses": PUBLIC_STATUSES,
            "sorts": SORTS,
            "page_link": lambda n: link(page=n),
            "facet_link": lambda name, value: link(**{name: value, "page": 1}),
        }
        if views.is_htmx(request):
            return views.fragment("_search_results.html", **context)
        return views.page(request, "search.html", viewer=viewer, **context)


def _search_query(form: dict[str, Any]) -> SearchQuery:
    """The search form's fields; an empty field (the form's "all") is no filter, a bad one a 400."""
    try:
        chosen = frozenset(LotStatus(s) for s in form["status"])
    except ValueError:
        raise Invalid("status is not a lot status.", field="status") from None
    category_id = form["categoryId"]
    if category_id and not (category_id.isdigit() and 1 <= int(category_id) < 2**63):
        raise Invalid("categoryId must be a category's id.", field="categoryId")
    try:
        day = date.fromisoformat(form["auctionDay"]) if form["auctionDay"] else None
    except ValueError:
        raise Invalid("auctionDay must be YYYY-MM-DD.", field="auctionDay") from None
    try:
        order = SearchSort(form["sort"]) if form["sort"] else None
    except ValueError:
        raise Invalid("sort is not a known order.", field="sort") from None
    low, high = form["minPrice"], form["maxPrice"]
    return SearchQuery(
        text=form["q"],
        statuses=chosen,
        category_id=int(category_id) if category_id else None,
        auction_day=day,
        min_price=views.parse_won(low, field="minPrice") if low else None,
        max_price=views.parse_won(high, field="maxPrice") if high else None,
        sort=order,
    )
