"""SQL implementations of the catalog repositories and their unit of work."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sagopalgo.catalog.adapters.sql.tables import categories, lot_transitions, lots, uploads
from sagopalgo.catalog.contract import CategoryView, LotStatus, LotTransition, LotView
from sagopalgo.catalog.domain.category import Category, category_key
from sagopalgo.catalog.domain.errors import CategoryExists, CategoryInUse, ImageKeyInvalid, LotStateConflict
from sagopalgo.catalog.domain.images import ImageUpload
from sagopalgo.catalog.domain.lot import Listing, Lot, LotTerms
from sagopalgo.catalog.ports import LotQuery, LotSort
from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.paging import Page, PageRequest
from sagopalgo.platform.sql import SqlUnitOfWork

__all__ = [
    "SqlCatalogUnitOfWork",
    "SqlCategoryRepository",
    "SqlLotRepository",
    "SqlUploadRepository",
]


class SqlCategoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, name: str) -> Category:
        try:
            result = await self._s.execute(insert(categories).values(name=name, name_key=category_key(name)))
        except IntegrityError:
            raise CategoryExists(f"A category named {name!r} exists.") from None
        return Category(int(result.inserted_primary_key[0]), name)  # type: ignore[attr-defined]

    async def get(self, category_id: int) -> Category | None:
        row = (await self._s.execute(select(categories).where(categories.c.id == category_id))).first()
        return Category(row.id, row.name) if row else None

    async def all(self) -> list[Category]:
        rows = await self._s.execute(select(categories).order_by(categories.c.name_key, categories.c.id))
        return [Category(r.id, r.name) for r in rows]

    async def rename(self, category_id: int, name: str) -> bool:
        try:
            result = await self._s.execute(
                update(categories)
                .where(categories.c.id == category_id)
                .values(name=name, name_key=category_key(name))
            )
        except IntegrityError:
            raise CategoryExists(f"A category named {name!r} exists.") from None
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def delete(self, category_id: int) -> bool:
        try:
            result = await self._s.execute(delete(categories).where(categories.c.id == category_id))
        except IntegrityError:
            raise CategoryInUse("Lots are listed in this category; move them first.") from None
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _lot_values(lot: Lot) -> dict[str, Any]:
    return {
        "seller_id": lot.seller_id,
        "seller_username": lot.seller_username,
        "title": lot.listing.title,
        "description": lot.listing.description,
        "category_id": lot.listing.category_id,
        "start_price": lot.terms.start_price,
        "bid_increment": lot.terms.bid_increment,
        "price": lot.price,
        "bid_count": lot.bid_count,
        "auction_day": lot.auction_day,
        "opens_at": lot.opens_at,
        "closes_at": lot.closes_at,
        "extended_bidding": lot.extended_bidding,
        "status": lot.status.value,
        "created_at": lot.created_at,
    }


_SORTS: dict[LotSort, tuple[Any, ...]] = {
    LotSort.CLOSING_SOON: (lots.c.closes_at.asc(), lots.c.id.asc()),
    LotSort.PRICE_ASC: (lots.c.price.asc(), lots.c.id.asc()),
    LotSort.PRICE_DESC: (lots.c.price.desc(), lots.c.id.desc()),
    LotSort.BID_COUNT_DESC: (lots.c.bid_count.desc(), lots.c.id.desc()),
    LotSort.NEWEST: (lots.c.created_at.desc(), lots.c.id.desc()),
}


def _where(query: LotQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.statuses:
        clauses.append(lots.c.status.in_(sorted(s.value for s in query.statuses)))
    if query.category_id is not None:
        clauses.append(lots.c.category_id == query.category_id)
    if query.auction_day is not None:
        clauses.append(lots.c.auction_day == query.auction_day)
    if query.seller_id is not None:
        clauses.append(lots.c.seller_id == query.seller_id)
    return clauses


_VIEW = select(lots, categories.c.name.label("category_name")).join(
    categories, categories.c.id == lots.c.category_id
)


class SqlLotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, lot: Lot) -> Lot:
        try:
            result = await self._s.execute(insert(lots).values(**_lot_values(lot), version=lot.version))
        except IntegrityError:
            await self._category_gone(lot)
            raise
        lot.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        return lot

    async def _category_gone(self, lot: Lot) -> None:
        """After the database refused a write: raise ``Invalid`` if the lot's category is gone.

        The service checked the category first, but an admin may delete it before the write; the
        foreign key (the lots table's only one) then decides, and the seller is told which field to
        fix rather than getting the 500 the original answered. A locking read: on InnoDB a plain one
        would see this transaction's snapshot, where the category still exists.
        """
        category = select(categories.c.id).where(categories.c.id == lot.listing.category_id)
        found = await self._s.scalar(category.with_for_update(read=True))
        if found is None:
            raise Invalid("No such category.", field="categoryId") from None

    async def get(self, lot_id: int) -> Lot | None:
        row = (await self._s.execute(select(lots).where(lots.c.id == lot_id))).first()
        if row is None:
            return None
        keys = (await self._keys([lot_id])).get(lot_id, ())
        bids = row.bid_count
        return Lot(
            id=row.id,
            seller_id=row.seller_id,
            seller_username=row.seller_username,
            listing=Listing(row.title, row.description, row.category_id),
            terms=LotTerms(row.start_price, row.bid_increment),
            auction_day=row.auction_day,
            opens_at=row.opens_at,
            closes_at=row.closes_at,
            created_at=row.created_at,
            image_keys=keys,
            extended_bidding=bool(row.extended_bidding),
            status=LotStatus(row.status),
            current_price=row.price if bids else None,
            bid_count=bids,
            version=row.version,
        )

    async def save(self, lot: Lot) -> None:
        try:
            result = await self._s.execute(
                update(lots)
                .where(lots.c.id == lot.id, lots.c.version == lot.version)
                .values(**_lot_values(lot), version=lot.version + 1)
            )
        except IntegrityError:
            await self._category_gone(lot)
            raise
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LotStateConflict("The lot changed while this request ran; reload it and try again.")
        lot.version += 1

    async def record_transition(
        self, lot_id: int, status: LotStatus, at: datetime, actor_id: int | None
    ) -> None:
        await self._s.execute(
            insert(lot_transitions).values(lot_id=lot_id, status=status.value, at=at, actor_id=actor_id)
        )

    async def transitions(self, lot_id: int) -> list[LotTransition]:
        t = lot_transitions.c
        rows = await self._s.execute(
            select(t.status, t.at, t.actor_id).where(t.lot_id == lot_id).order_by(t.id)
        )
        return [LotTransition(LotStatus(status), at, actor_id) for status, at, actor_id in rows]

    async def titles(self, lot_ids: Collection[int]) -> dict[int, str]:
        if not lot_ids:
            return {}
        rows = await self._s.execute(select(lots.c.id, lots.c.title).where(lots.c.id.in_(list(lot_ids))))
        return {int(lot_id): str(title) for lot_id, title in rows}

    async def due(self, status: LotStatus, *, through_day: date, by: datetime, limit: int) -> list[int]:
        moment = lots.c.opens_at if status is LotStatus.SCHEDULED else lots.c.closes_at
        rows = await self._s.execute(
            select(lots.c.id)
            .where(lots.c.auction_day <= through_day, lots.c.status == status.value, moment <= by)
            .order_by(lots.c.auction_day, lots.c.id)
            .limit(limit)
        )
        return [int(lot_id) for (lot_id,) in rows]

    async def _keys(self, lot_ids: list[int]) -> dict[int, tuple[str, ...]]:
        if not lot_ids:
            return {}
        rows = await self._s.execute(
            select(uploads.c.lot_id, uploads.c.key)
            .where(uploads.c.lot_id.in_(lot_ids))
            .order_by(uploads.c.lot_id, uploads.c.position)
        )
        found: dict[int, list[str]] = {}
        for lot_id, key in rows:
            found.setdefault(lot_id, []).append(key)
        return {lot_id: tuple(keys) for lot_id, keys in found.items()}

    async def _views(self, rows: list[Any]) -> list[LotView]:
        keys = await self._keys([r.id for r in rows])
        return [
            LotView(
                id=r.id,
                title=r.title,
                description=r.description,
                category=CategoryView(r.category_id, r.category_name),
                seller_id=r.seller_id,
                seller_username=r.seller_username,
                image_keys=keys.get(r.id, ()),
                start_price=r.start_price,
                bid_increment=r.bid_increment,
                current_price=r.price if r.bid_count else None,
                bid_count=r.bid_count,
                auction_day=r.auction_day,
                opens_at=r.opens_at,
                closes_at=r.closes_at,
                extended_bidding=bool(r.extended_bidding),
                status=LotStatus(r.status),
                created_at=r.created_at,
                version=r.version,
            )
            for r in rows
        ]

    async def view(self, lot_id: int) -> LotView | None:
        row = (await self._s.execute(_VIEW.where(lots.c.id == lot_id))).first()
        return (await self._views([row]))[0] if row else None

    async def views(self, lot_ids: Collection[int]) -> list[LotView]:
        if not lot_ids:
            return []
        rows = await self._s.execute(_VIEW.where(lots.c.id.in_(list(lot_ids))).order_by(lots.c.id))
        return await self._views(list(rows))

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        rows = await self._s.execute(
            select(lots.c.id, lots.c.version).where(lots.c.id > after_id).order_by(lots.c.id).limit(limit)
        )
        return [(int(lot_id), int(version)) for lot_id, version in rows]

    async def find(self, query: LotQuery, page: PageRequest) -> Page[LotView]:
        where = and_(*_where(query))
        total = (await self._s.execute(select(func.count()).select_from(lots).where(where))).scalar_one()
        if total <= page.offset:
            return Page([], page.page, page.size, total)
        rows = await self._s.execute(
            _VIEW.where(where).order_by(*_SORTS[query.sort]).limit(page.size).offset(page.offset)
        )
        return Page(await self._views(list(rows)), page.page, page.size, total)


def _upload(row: Any) -> ImageUpload:
    return ImageUpload(
        key=row.key,
        owner_id=row.owner_id,
        content_type=row.content_type,
        max_bytes=row.max_bytes,
        created_at=row.created_at,
        expires_at=row.expires_at,
        lot_id=row.lot_id,
        verified_at=row.verified_at,
    )


class SqlUploadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, upload: ImageUpload) -> None:
        await self._s.execute(
            insert(uploads).values(
                key=upload.key,
                owner_id=upload.owner_id,
                content_type=upload.content_type,
                max_bytes=upload.max_bytes,
                created_at=upload.created_at,
                expires_at=upload.expires_at,
                verified_at=upload.verified_at,
                lot_id=upload.lot_id,
            )
        )

    async def get_many(self, keys: Collection[str]) -> Mapping[str, ImageUpload]:
        if not keys:
            return {}
        rows = await self._s.execute(select(uploads).where(uploads.c.key.in_(list(keys))))
        return {row.key: _upload(row) for row in rows}

    async def attach(self, lot_id: int, keys: tuple[str, ...], owner_id: int, verified_at: datetime) -> None:
        await self._s.execute(
            update(uploads)
            .where(uploads.c.lot_id == lot_id, uploads.c.key.not_in(list(keys)))
            .values(lot_id=None, position=None)
        )
        for position, key in enumerate(keys):
            # Conditional on the key still being free (or already this lot's): of two lots racing
            # for one photo, the database lets exactly one have it.
            result = await self._s.execute(
                update(uploads)
                .where(
                    uploads.c.key == key,
                    uploads.c.owner_id == owner_id,
                    or_(uploads.c.lot_id.is_(None), uploads.c.lot_id == lot_id),
                )
                .values(
                    lot_id=lot_id,
                    position=position,
                    verified_at=func.coalesce(uploads.c.verified_at, verified_at),
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ImageKeyInvalid("This image already belongs to another lot.", extra={"key": key})

    async def unused(self, expired_by: datetime, limit: int) -> list[str]:
        rows = await self._s.execute(
            select(uploads.c.key)
            .where(uploads.c.lot_id.is_(None), uploads.c.expires_at <= expired_by)
            .order_by(uploads.c.expires_at, uploads.c.key)
            .limit(limit)
        )
        return [str(key) for (key,) in rows]

    async def forget(self, key: str) -> bool:
        # Conditional, like ``attach``: of a sweep and a listing racing for one photo, the row lock
        # (or SQLite's one writer) lets exactly one have it.
        unused = and_(uploads.c.key == key, uploads.c.lot_id.is_(None))
        result = await self._s.execute(delete(uploads).where(unused))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class SqlCatalogUnitOfWork(SqlUnitOfWork):
    categories: SqlCategoryRepository
    lots: SqlLotRepository
    uploads: SqlUploadRepository

    def _bind(self, session: AsyncSession) -> None:
        self.categories = SqlCategoryRepository(session)
        self.lots = SqlLotRepository(session)
        self.uploads = SqlUploadRepository(session)
