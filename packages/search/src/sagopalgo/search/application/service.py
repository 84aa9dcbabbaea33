"""Answering a search: check the request, ask the index, name the facets' categories."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import FacetCount, SearchQuery, SearchSort, tally
from sagopalgo.search.ports import CategoryNames, LotIndex

__all__ = ["CategoryFacet", "SearchResult", "SearchService"]


@dataclass(frozen=True, slots=True)
class CategoryFacet:
    id: int
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    items: list[LotDoc]
    page: int
    size: int
    total: int
    categories: list[CategoryFacet]
    statuses: list[FacetCount]
    names: dict[int, str]
    """Category names by id, for the items as well as the facets."""


class SearchService:
    def __init__(self, *, index: LotIndex, categories: CategoryNames, max_krw: int) -> None:
        self._index, self._categories, self._max_krw = index, categories, max_krw

    async def search(
        self,
        page: PageRequest,
        *,
        q: str | None = None,
        category_id: int | None = None,
        statuses: Iterable[str] = (),
        min_price: int | None = None,
        max_price: int | None = None,
        auction_day: date | None = None,
        sort: SearchSort | None = None,
    ) -> SearchResult:
        """Raises ``Invalid`` for a bad request (an amount over the bound, minPrice above maxPrice)."""
        query = SearchQuery.of(
            q=q,
            category_id=category_id,
            statuses=statuses,
            min_price=min_price,
            max_price=max_price,
            auction_day=auction_day,
            sort=sort,
            max_krw=self._max_krw,
        )
        if query.matches_nothing:
            return SearchResult([], page.page, page.size, 0, [], [], {})
        hits = await self._index.search(query, page)
        facets = tally(hits.groups, query)
        names = dict(await self._categories.names()) if facets.categories or hits.items else {}
        categories = [
            CategoryFacet(int(f.key), names.get(int(f.key), ""), f.count)
            for f in facets.categories
            if int(f.key) in names  # a category deleted since: nothing can be listed in it
        ]
        return SearchResult(
            hits.items, page.page, page.size, hits.total, categories, list(facets.statuses), names
        )
