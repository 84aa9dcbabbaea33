"""What the catalog's use cases need from outside, as Protocols speaking domain and contract types."""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sagopalgo.catalog.contract import LotStatus, LotTransition, LotView
from sagopalgo.catalog.domain.category import Category
from sagopalgo.catalog.domain.images import ImageUpload, StoredObject
from sagopalgo.catalog.domain.lot import Lot
from sagopalgo.kernel.paging import Page, PageRequest
from sagopalgo.kernel.uow import UnitOfWork

__all__ = [
    "CatalogUnitOfWork",
    "CategoryRepository",
    "ImageStore",
    "LotCache",
    "LotQuery",
    "LotRepository",
    "LotSort",
    "PresignedUpload",
    "PriceFeed",
    "UploadRepository",
]


class LotSort(enum.StrEnum):
    CLOSING_SOON = "closingSoon"
    PRICE_ASC = "priceAsc"
    PRICE_DESC = "priceDesc"
    BID_COUNT_DESC = "bidCountDesc"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class LotQuery:
    """Filters combine with AND; ``statuses`` empty means any status."""

    statuses: frozenset[LotStatus] = frozenset()
    category_id: int | None = None
    auction_day: date | None = None
    seller_id: int | None = None
    sort: LotSort = LotSort.NEWEST


class CategoryRepository(Protocol):
    async def add(self, name: str) -> Category:
        """Raises ``CategoryExists`` when the name (ignoring case) is taken, even under a race."""
        ...

    async def get(self, category_id: int) -> Category | None: ...

    async def all(self) -> list[Category]: ...

    async def rename(self, category_id: int, name: str) -> bool:
        """``False`` if there is no such category; ``CategoryExists`` if the name is taken."""
        ...

    async def delete(self, category_id: int) -> bool:
        """``False`` if there is no such category; ``CategoryInUse`` while any lot names it."""
        ...


class LotRepository(Protocol):
    async def add(self, lot: Lot) -> Lot: ...

    async def get(self, lot_id: int) -> Lot | None: ...

    async def save(self, lot: Lot) -> None:
        """Write the lot iff nobody else did since it was read (its ``version``), bumping it.

        Raises ``LotStateConflict`` when another writer got there first.
        """
        ...

    async def view(self, lot_id: int) -> LotView | None: ...

    async def find(self, query: LotQuery, page: PageRequest) -> Page[LotView]: ...

    async def views(self, lot_ids: Collection[int]) -> list[LotView]:
        """The lots of any status (withdrawn ones too) that exist among ``lot_ids``, by id."""
        ...

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        """``(id, version)`` of up to ``limit`` lots with ids above ``after_id``, ascending by id."""
        ...

    async def titles(self, lot_ids: Collection[int]) -> dict[int, str]: ...

    async def record_transition(
        self, lot_id: int, status: LotStatus, at: datetime, actor_id: int | None
    ) -> None:
        """Append a status the lot took to its audit trail (in the transaction that moved it)."""
        ...

    async def transitions(self, lot_id: int) -> list[LotTransition]:
        """The lot's audit trail, oldest first."""
        ...

    async def due(self, status: LotStatus, *, through_day: date, by: datetime, limit: int) -> list[int]:
        """Ids of lots in ``status`` due to move, oldest day first.

        ``SCHEDULED`` lots whose opening, or ``OPEN`` lots whose closing, is at or before ``by``, of
        days up to ``through_day``.
        """
        ...


class UploadRepository(Protocol):
    async def add(self, upload: ImageUpload) -> None: ...

    async def get_many(self, keys: Collection[str]) -> Mapping[str, ImageUpload]: ...

    async def attach(self, lot_id: int, keys: tuple[str, ...], owner_id: int, verified_at: datetime) -> None:
        """Bind the keys to the lot in this order and release the lot's other keys.

        Raises ``ImageKeyInvalid`` when a key was bound to another lot meanwhile (a race).
        """
        ...

    async def unused(self, expired_by: datetime, limit: int) -> list[str]:
        """Keys of uploads no lot uses whose upload expired at or before ``expired_by``."""
        ...

    async def forget(self, key: str) -> bool:
        """Delete the upload's record iff no lot uses it (now, under any race); ``True`` if deleted."""
        ...


class CatalogUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the catalog repositories; leaving without ``commit`` rolls back."""

    @property
    def categories(self) -> CategoryRepository: ...

    @property
    def lots(self) -> LotRepository: ...

    @property
    def uploads(self) -> UploadRepository: ...


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """Where and how the browser sends the file: a form POST of ``fields`` plus ``file``."""

    url: str
    fields: Mapping[str, str]


class ImageStore(Protocol):
    """Object storage for photos: S3 in production, local files in the embedded default."""

    async def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_at: datetime
    ) -> PresignedUpload: ...

    async def inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        """The stored object's size and first ``head_bytes`` bytes, ``None`` if there is none."""
        ...

    async def delete(self, keys: Sequence[str]) -> None:
        """Remove the objects; a key with nothing stored under it is fine."""
        ...


class LotCache(Protocol):
    """A short-lived cache of lot details, shared by every API process when it lives in Redis."""

    async def get(self, lot_id: int) -> LotView | None: ...

    async def put(self, view: LotView, ttl_seconds: int) -> None: ...

    async def invalidate(self, lot_id: int) -> None: ...


class PriceFeed(Protocol):
    """The live price of an open lot, from the bid gate (bidding's published query)."""

    async def current(self, lot_id: int) -> tuple[int | None, int, datetime] | None:
        """``(last accepted bid or None, bid count, closes at)``, or ``None`` if the gate lacks the lot."""
        ...
