"""The search page's one door to its data: the search service (``GET /api/v1/search/lots``'s use case).

Everything the page needs comes back in ``SearchResult``: the lots as the catalog publishes them
(``LotView``, so the page's lot cards serve every list), the total and both facets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sagopalgo.api.web.present import lot_status
from sagopalgo.catalog.contract import CategoryView, LotStatus, LotView
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.application.service import SearchService
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import SearchSort

__all__ = ["PUBLIC_STATUSES", "Facet", "SearchQuery", "SearchResult", "search_lots"]

PUBLIC_STATUSES = (LotStatus.SCHEDULED, LotStatus.OPEN, LotStatus.SOLD, LotStatus.UNSOLD, LotStatus.PAID)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str = ""
    statuses: frozenset[LotStatus] = frozenset()
    category_id: int | None = None
    auction_day: date | None = None
    min_price: int | None = None
    max_price: int | None = None
    sort: SearchSort | None = None
    """``None``: by relevance when there are words, else newest first (the service's default)."""


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


async def search_lots(search: SearchService, query: SearchQuery, page: PageRequest) -> SearchResult:
    """The page of lots matching ``query`` and the facets (each ignoring its own filter)."""
    found = await search.search(
        page,
        q=query.text or None,
        category_id=query.category_id,
        statuses=[s.value for s in query.statuses],
        min_price=query.min_price,
        max_price=query.max_price,
        auction_day=query.auction_day,
        sort=query.sort,
    )
    return SearchResult(
        items=[_lot(doc, found.names) for doc in found.items],
        total=found.total,
        page=found.page,
        size=found.size,
        categories=[Facet(str(c.id), c.name, c.count) for c in found.categories],
        statuses=[Facet(str(s.key), lot_status(str(s.key)), s.count) for s in found.statuses],
    )


def _lot(doc: LotDoc, names: dict[int, str]) -> LotView:
    return LotView(
        id=doc.id,
        title=doc.title,
        description=doc.description,
        category=CategoryView(doc.category_id, names.get(doc.category_id, "")),
        seller_id=doc.seller_id,
        seller_username=doc.seller_username,
        image_keys=doc.image_keys,
        start_price=doc.start_price,
        bid_increment=doc.bid_increment,
        current_price=doc.current_price,
        bid_count=doc.bid_count,
        auction_day=doc.auction_day,
        opens_at=doc.opens_at,
        closes_at=doc.closes_at,
        extended_bidding=doc.extended_bidding,
        status=LotStatus(doc.status),
        created_at=doc.created_at,
    )
