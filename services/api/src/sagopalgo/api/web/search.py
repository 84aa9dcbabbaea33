"""The search page's one door to its data: today the catalog's filtered list, later the search index.

Everything the page needs comes back in ``SearchResult`` (items, total, facets); swapping the
catalog for the search service (``GET /api/v1/search/lots``'s use case) changes this module only.
The catalog has no full-text matching, so ``KEYWORDS`` is ``False`` and the page offers no keyword
box until the search service answers here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sagopalgo.api.web.present import lot_status
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.catalog.contract import CategoryView, LotStatus, LotView
from sagopalgo.catalog.ports import LotQuery, LotSort
from sagopalgo.kernel.paging import PageRequest

__all__ = ["KEYWORDS", "Facet", "SearchQuery", "SearchResult", "search_lots"]

KEYWORDS = False
"""Whether ``SearchQuery.text`` is matched (the search index does; the catalog's list does not)."""

PUBLIC_STATUSES = (LotStatus.SCHEDULED, LotStatus.OPEN, LotStatus.SOLD, LotStatus.UNSOLD, LotStatus.PAID)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    statuses: frozenset[LotStatus] = frozenset()
    category_id: int | None = None
    auction_day: date | None = None
    sort: LotSort = LotSort.CLOSING_SOON
    text: str = ""


@dataclass(frozen=True, slots=True)
class Facet:
    """One refinement the page offers, with how many lots it would leave."""

    value: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    items: list[LotView]
    total: int
    page: int
    size: int
    categories: list[Facet]
    statuses: list[Facet]


async def search_lots(
    catalog: CatalogService, query: SearchQuery, page: PageRequest, categories: list[CategoryView]
) -> SearchResult:
    """The page of lots matching ``query`` and, per category and per status, how many match.

    Facet counts follow the other filters (a category's count keeps the chosen statuses and day),
    as a search index's facets do.
    """

    def lots(statuses: frozenset[LotStatus], category_id: int | None) -> LotQuery:
        return LotQuery(statuses, category_id, query.auction_day, None, query.sort)

    one = PageRequest(1, 1)
    found = await catalog.find_lots(lots(query.statuses, query.category_id), page)
    # One count per facet value, one after another: a handful of indexed counts, and no burst of
    # connections taken from the pool at once.
    by_category = [await catalog.find_lots(lots(query.statuses, c.id), one) for c in categories]
    by_status = [
        await catalog.find_lots(lots(frozenset({s}), query.category_id), one) for s in PUBLIC_STATUSES
    ]
    return SearchResult(
        items=list(found.items),
        total=found.total,
        page=found.page,
        size=found.size,
        categories=[Facet(str(c.id), c.name, n.total) for c, n in zip(categories, by_category, strict=True)],
        statuses=[
            Facet(s.value, lot_status(s), n.total) for s, n in zip(PUBLIC_STATUSES, by_status, strict=True)
        ],
    )
