"""Wire types of the catalog endpoints (camelCase per API.md).

Money is ``int`` on the wire, so strings and fractions fail decoding with a 400 naming the field;
ranges (minimums, the deployment's upper bound) are the domain's to judge, with its messages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from sagopalgo.catalog.contract import LotStatus, LotView
from sagopalgo.kernel.clock import SEOUL

__all__ = [
    "CategoryIn",
    "CategoryOut",
    "FeaturedOut",
    "ImageOut",
    "LotEditIn",
    "LotIn",
    "LotOut",
    "LotPageOut",
    "LotSummaryOut",
    "RelistIn",
    "SellerOut",
    "UploadIn",
    "UploadOut",
    "lot_out",
    "lot_summary_out",
]

_Text = Annotated[str, msgspec.Meta(max_length=10_000)]
_Key = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
_Keys = Annotated[list[_Key], msgspec.Meta(max_length=50)]
_Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class CategoryIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=200)]


class CategoryOut(msgspec.Struct):
    id: int
    name: str


class UploadIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    content_type: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    size: int


class UploadOut(msgspec.Struct, rename="camel"):
    key: str
    upload_url: str
    fields: dict[str, str]
    expires_at: datetime


class LotIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    title: _Text
    category_id: _Id
    start_price: int
    bid_increment: int
    auction_day: date
    image_keys: _Keys
    description: _Text = ""
    extended_bidding: bool = False


class LotEditIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` is the same as leaving a field out."""

    title: _Text | None = None
    description: _Text | None = None
    category_id: _Id | None = None
    start_price: int | None = None
    bid_increment: int | None = None
    image_keys: _Keys | None = None
    extended_bidding: bool | None = None


class RelistIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    auction_day: date


class SellerOut(msgspec.Struct):
    id: int
    username: str


class ImageOut(msgspec.Struct):
    key: str
    url: str


class LotSummaryOut(msgspec.Struct, rename="camel"):
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


class LotOut(LotSummaryOut, rename="camel"):
    description: str = ""


class LotPageOut(msgspec.Struct):
    items: list[LotSummaryOut]
    page: int
    size: int
    total: int


class FeaturedOut(msgspec.Struct, rename="camel"):
    items: list[LotSummaryOut]
    page: int
    size: int
    total: int
    auction_day: date
    phase: str
    """``UPCOMING`` (00-09 KST), ``OPEN`` (09-18) or ``CLOSED`` (18-24): which set ``items`` holds."""


def _fields(view: LotView, image_base_url: str) -> dict[str, object]:
    return {
        "id": view.id,
        "title": view.title,
        "category": CategoryOut(view.category.id, view.category.name),
        "seller": SellerOut(view.seller_id, view.seller_username),
        "images": [ImageOut(key, f"{image_base_url}/{key}") for key in view.image_keys],
        "start_price": view.start_price,
        "bid_increment": view.bid_increment,
        "current_price": view.price,
        "bid_count": view.bid_count,
        "minimum_next_bid": view.minimum_next_bid,
        "auction_day": view.auction_day,
        "opens_at": view.opens_at.astimezone(SEOUL),
        "closes_at": view.closes_at.astimezone(SEOUL),
        "extended_bidding": view.extended_bidding,
        "status": view.status,
        "created_at": view.created_at.astimezone(SEOUL),
    }


def lot_summary_out(view: LotView, image_base_url: str) -> LotSummaryOut:
    return LotSummaryOut(**_fields(view, image_base_url))  # type: ignore[arg-type]


def lot_out(view: LotView, image_base_url: str) -> LotOut:
    return LotOut(**_fields(view, image_base_url), description=view.description)  # type: ignore[arg-type]
