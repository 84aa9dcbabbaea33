"""Wire types of the search endpoint (camelCase per API.md).

A hit has the fields of a lot summary in ``GET /api/v1/lots`` (a test holds the two to the same
keys), so a client renders both lists with one component.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from sagopalgo.catalog.contract import LotStatus
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.search.application.service import SearchResult
from sagopalgo.search.domain.document import LotDoc

__all__ = ["SearchPageOut", "search_page_out"]


class CategoryOut(msgspec.Struct):
    id: int
    name: str


class SellerOut(msgspec.Struct):
    id: int
    username: str


class ImageOut(msgspec.Struct):
    key: str
    url: str


class SearchLotOut(msgspec.Struct, rename="camel"):
    id: int
    title: str
    category: CategoryOut
    seller: SellerOut
    images: list[ImageOut]
    start_price: int
    bid_increment: int
    current_price: int
    """The last accepted bid, or the start price before the first."""
    bid_count: int
    minimum_next_bid: int
    auction_day: date
    opens_at: datetime
    closes_at: datetime
    extended_bidding: bool
    status: LotStatus
    created_at: datetime


class CategoryFacetOut(msgspec.Struct):
    id: int
    name: str
    count: int


class StatusFacetOut(msgspec.Struct):
    status: LotStatus
    count: int


class FacetsOut(msgspec.Struct):
    category: list[CategoryFacetOut]
    """Matches per category under every filter but ``categoryId``; most first."""
    status: list[StatusFacetOut]
    """Matches per status under every filter but ``status``; most first."""


class SearchPageOut(msgspec.Struct):
    items: list[SearchLotOut]
    page: int
    size: int
    total: int
    facets: FacetsOut


def _lot(doc: LotDoc, names: dict[int, str], image_base_url: str) -> SearchLotOut:
    return SearchLotOut(
        id=doc.id,
        title=doc.title,
        category=CategoryOut(doc.category_id, names.get(doc.category_id, "")),
        seller=SellerOut(doc.seller_id, doc.seller_username),
        images=[ImageOut(key, f"{image_base_url}/{key}") for key in doc.image_keys],
        start_price=doc.start_price,
        bid_increment=doc.bid_increment,
        current_price=doc.price,
        bid_count=doc.bid_count,
        minimum_next_bid=doc.minimum_next_bid,
        auction_day=doc.auction_day,
        opens_at=doc.opens_at.astimezone(SEOUL),
        closes_at=doc.closes_at.astimezone(SEOUL),
        extended_bidding=doc.extended_bidding,
        status=LotStatus(doc.status),
        created_at=doc.created_at.astimezone(SEOUL),
    )


def search_page_out(result: SearchResult, image_base_url: str) -> SearchPageOut:
    return SearchPageOut(
        items=[_lot(doc, result.names, image_base_url) for doc in result.items],
        page=result.page,
        size=result.size,
        total=result.total,
        facets=FacetsOut(
            category=[CategoryFacetOut(f.id, f.name, f.count) for f in result.categories],
            status=[StatusFacetOut(LotStatus(str(f.key)), f.count) for f in result.statuses],
        ),
    )
