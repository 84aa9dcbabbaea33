"""Catalog use cases. Every method opens its own unit of work and commits explicitly.

Reads of a lot's detail go through the ``LotCache``; every write that changes a lot invalidates it
after the commit, so a reader sees the change at once on this process and within the cache TTL at
worst elsewhere. Every committed change of a lot is also announced as a ``LotChanged`` event, which
is how copies of lots kept elsewhere (the search index) follow the catalog without polling it, and
every move of its status as a ``LotStatusChanged`` (live clients are told through it), whoever made
the move: the day's schedule, a payment, or the seller withdrawing or relisting the lot.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sagopalgo.catalog.contract import (
    CategoryView,
    LotChanged,
    LotStatus,
    LotStatusChanged,
    LotTransition,
    LotView,
    StatusReason,
)
from sagopalgo.catalog.domain.category import category_name
from sagopalgo.catalog.domain.errors import ImageKeyInvalid, LotStateConflict
from sagopalgo.catalog.domain.images import (
    SNIFF_BYTES,
    ImageUpload,
    check_upload_request,
    upload_key,
)
from sagopalgo.catalog.domain.lot import Listing, Lot, LotTerms, check_image_keys
from sagopalgo.catalog.domain.schedule import AuctionWindow, DayPhase
from sagopalgo.catalog.ports import CatalogUnitOfWork, ImageStore, LotCache, LotQuery, LotSort, PriceFeed
from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.errors import Forbidden, Invalid, NotFound
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import Page, PageRequest

__all__ = [
    "UNUSED_UPLOAD_RETENTION",
    "CatalogService",
    "FeaturedPage",
    "LotChanges",
    "NewLot",
    "UploadTicket",
]

_FEATURED: dict[DayPhase, tuple[frozenset[LotStatus], LotSort]] = {
    # Before 09:00: what opens today (and anything of today's already open: the demo's lots keep
    # a window of their own). 09:00-18:00: what is open (a lot the opener has not reached yet is
    # still SCHEDULED for a moment). After 18:00: the results, with lots still running on extended
    # bidding until the hard cap.
    DayPhase.UPCOMING: (frozenset({LotStatus.SCHEDULED, LotStatus.OPEN}), LotSort.NEWEST),
    DayPhase.OPEN: (frozenset({LotStatus.SCHEDULED, LotStatus.OPEN}), LotSort.CLOSING_SOON),
    DayPhase.CLOSED: (
        frozenset({LotStatus.OPEN, LotStatus.SOLD, LotStatus.UNSOLD, LotStatus.PAID}),
        LotSort.PRICE_DESC,
    ),
}
_PUBLIC = frozenset(LotStatus) - {LotStatus.WITHDRAWN}
UNUSED_UPLOAD_RETENTION = timedelta(days=1)
"""How long after its upload expired a photo no lot uses is kept (a seller may still list with it)."""
_log = logging.getLogger("sagopalgo.catalog")
_COPY_ATTEMPTS = 5
"""Copies of bids racing for one lot: each lost race means another writer saved a newer state."""


@dataclass(frozen=True, slots=True)
class UploadTicket:
    key: str
    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewLot:
    title: str
    description: str
    category_id: int
    start_price: int
    bid_increment: int
    auction_day: date
    image_keys: tuple[str, ...]
    extended_bidding: bool = False


@dataclass(frozen=True, slots=True)
class LotChanges:
    """A partial edit: ``None`` leaves the field as it is."""

    title: str | None = None
    description: str | None = None
    category_id: int | None = None
    start_price: int | None = None
    bid_increment: int | None = None
    image_keys: tuple[str, ...] | None = None
    extended_bidding: bool | None = None


@dataclass(frozen=True, slots=True)
class FeaturedPage:
    day: date
    phase: DayPhase
    lots: Page[LotView]


def _lot_id(lot: Lot) -> int:
    if lot.id is None:  # repositories always set it; a lot without one was never stored
        raise RuntimeError("lot has no id")
    return lot.id


class CatalogService:
    def __init__(
        self,
        *,
        uow: Callable[[], CatalogUnitOfWork],
        images: ImageStore,
        cache: LotCache,
        clock: Clock,
        window: AuctionWindow,
        max_krw: int,
        image_max_bytes: int,
        upload_ttl: timedelta,
        cache_ttl_seconds: int,
        prices: PriceFeed | None = None,
        on_status: Callable[[LotStatusChanged], Awaitable[None]] | None = None,
        on_change: Callable[[LotChanged], Awaitable[None]] | None = None,
    ) -> None:
        self._uow, self._images, self._cache, self._clock = uow, images, cache, clock
        self.window = window
        self._max_krw, self._image_max_bytes = max_krw, image_max_bytes
        self._upload_ttl, self._cache_ttl = upload_ttl, cache_ttl_seconds
        self._prices = prices
        self._on_status = on_status  # e.g. a `status` event on the lot's live stream
        self._on_change = on_change

    async def _changed(self, lot: Lot, reason: str) -> None:
        """Announce a committed change; a listener's failure never undoes or fails the change itself."""
        if self._on_change is None:
            return
        try:
            await self._on_change(LotChanged(_lot_id(lot), lot.version, reason))
        except Exception:  # the listener repairs itself (the search index catches up at start)
            _log.warning("a LotChanged listener failed", exc_info=True)

    # ------------------------------------------------------------------ categories
    async def categories(self) -> list[CategoryView]:
        async with self._uow() as uow:
            return [CategoryView(c.id, c.name) for c in await uow.categories.all()]

    async def create_category(self, actor: Principal, name: str) -> CategoryView:
        _require_admin(actor)
        async with self._uow() as uow:
            category = await uow.categories.add(category_name(name))
            await uow.commit()
        return CategoryView(category.id, category.name)

    async def rename_category(self, actor: Principal, category_id: int, name: str) -> CategoryView:
        _require_admin(actor)
        clean = category_name(name)
        async with self._uow() as uow:
            if not await uow.categories.rename(category_id, clean):
                raise NotFound("No such category.")
            await uow.commit()
        return CategoryView(category_id, clean)

    async def delete_category(self, actor: Principal, category_id: int) -> None:
        _require_admin(actor)
        async with self._uow() as uow:
            if not await uow.categories.delete(category_id):
                raise NotFound("No such category.")
            await uow.commit()

    # ------------------------------------------------------------------ photos
    async def request_upload(self, actor: Principal, content_type: str, size: int) -> UploadTicket:
        """Sign a one-object upload under the caller's prefix, bound to the promised type and size."""
        kind = check_upload_request(content_type, size, max_bytes=self._image_max_bytes)
        now = self._clock.now()
        upload = ImageUpload(
            key=upload_key(actor.user_id, secrets.token_hex(16), kind),
            owner_id=actor.user_id,
            content_type=kind,
            max_bytes=size,
            created_at=now,
            expires_at=now + self._upload_ttl,
        )
        signed = await self._images.presign_upload(
            upload.key, content_type=kind, max_bytes=size, expires_at=upload.expires_at
        )
        async with self._uow() as uow:
            await uow.uploads.add(upload)
            await uow.commit()
        return UploadTicket(upload.key, signed.url, dict(signed.fields), upload.expires_at)

    async def sweep_uploads(self, *, batch: int = 500) -> int:
        """Delete the photos no lot uses a day after their upload expired; returns how many.

        Abandoned uploads (a form never sent) and photos an edit replaced would otherwise stay in
        storage for good. Each record is deleted only if still unused at that moment, and its
        object after the commit, so a photo a lot takes meanwhile is never lost: at worst the lot
        is refused the photo (``IMAGE_KEY_INVALID``) and the seller uploads it again.
        """
        swept = 0
        while True:
            async with self._uow() as uow:
                stale = await uow.uploads.unused(self._clock.now() - UNUSED_UPLOAD_RETENTION, batch)
                gone = [key for key in stale if await uow.uploads.forget(key)]
                await uow.commit()
            if gone:
                await self._images.delete(gone)
            swept += len(gone)
            if len(stale) < batch:
                return swept

    async def run_upload_sweeper(self, stop: asyncio.Event, every_s: float) -> None:
        """Sweep every ``every_s`` seconds until ``stop``; each API process may run one."""
        while not stop.is_set():
            try:
                swept = await self.sweep_uploads()
                if swept:
                    _log.info("deleted %d photos no lot uses", swept)
            except asyncio.CancelledError:
                raise
            except Exception:  # storage or the database blipped: the next round picks them up
                _log.warning("the upload sweep failed; retrying later", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)

    async def _verified(
        self, uow: CatalogUnitOfWork, actor: Principal, keys: tuple[str, ...], lot_id: int | None
    ) -> None:
        """Every key is the caller's, free (or already this lot's), and holds what was promised."""
        uploads = await uow.uploads.get_many(keys)
        for key in keys:
            upload = uploads.get(key)
            if upload is None:
                raise ImageKeyInvalid("No upload was issued for this key.", extra={"key": key})
            upload.check_usable_by(actor.user_id, for_lot=lot_id)
        pending = [uploads[k] for k in keys if uploads[k].verified_at is None]
        stored = await asyncio.gather(*(self._images.inspect(u.key, SNIFF_BYTES) for u in pending))
        now = self._clock.now()
        for upload, found in zip(pending, stored, strict=True):
            upload.verify(found, now)

    async def _category(self, uow: CatalogUnitOfWork, category_id: int) -> None:
        if await uow.categories.get(category_id) is None:
            raise Invalid("No such category.", field="categoryId")

    # ------------------------------------------------------------------ listing
    async def create_lot(self, actor: Principal, new: NewLot) -> LotView:
        now = self._clock.now()
        lot = Lot.listed(
            seller_id=actor.user_id,
            seller_username=actor.username,
            listing=Listing.of(title=new.title, description=new.description, category_id=new.category_id),
            terms=LotTerms.of(new.start_price, new.bid_increment, max_krw=self._max_krw),
            auction_day=new.auction_day,
            image_keys=new.image_keys,
            extended_bidding=new.extended_bidding,
            now=now,
            window=self.window,
        )
        async with self._uow() as uow:
            await self._category(uow, lot.listing.category_id)
            await self._verified(uow, actor, lot.image_keys, None)
            await uow.lots.add(lot)
            await uow.uploads.attach(_lot_id(lot), lot.image_keys, actor.user_id, now)
            await uow.lots.record_transition(_lot_id(lot), lot.status, now, actor.user_id)
            await uow.commit()
        await self._changed(lot, "listed")
        return await self._fresh(_lot_id(lot))

    async def edit_lot(self, actor: Principal, lot_id: int, changes: LotChanges) -> LotView:
        now = self._clock.now()
        async with self._uow() as uow:
            lot = await self._own_lot(uow, actor, lot_id, admin_may=False)
            listing = None
            if (
                changes.title is not None
                or changes.description is not None
                or changes.category_id is not None
            ):
                listing = Listing.of(
                    title=changes.title if changes.title is not None else lot.listing.title,
                    description=(
                        changes.description if changes.description is not None else lot.listing.description
                    ),
                    category_id=changes.category_id or lot.listing.category_id,
                )
            terms = None
            if changes.start_price is not None or changes.bid_increment is not None:
                terms = LotTerms.of(
                    changes.start_price if changes.start_price is not None else lot.terms.start_price,
                    changes.bid_increment if changes.bid_increment is not None else lot.terms.bid_increment,
                    max_krw=self._max_krw,
                )
            keys = check_image_keys(changes.image_keys) if changes.image_keys is not None else None
            lot.edit(
                listing=listing,
                terms=terms,
                image_keys=keys,
                extended_bidding=changes.extended_bidding,
                now=now,
            )
            if changes.category_id is not None:
                await self._category(uow, changes.category_id)
            if keys is not None:
                await self._verified(uow, actor, keys, lot_id)
            await uow.lots.save(lot)
            if keys is not None:
                await uow.uploads.attach(lot_id, keys, actor.user_id, now)
            await uow.commit()
        await self._changed(lot, "edited")
        return await self._fresh(lot_id)

    async def withdraw_lot(self, actor: Principal, lot_id: int) -> None:
        async with self._uow() as uow:
            lot = await self._own_lot(uow, actor, lot_id, admin_may=True)
            lot.withdraw(now=self._clock.now())
            await uow.lots.save(lot)
            await uow.lots.record_transition(lot_id, lot.status, self._clock.now(), actor.user_id)
            await uow.commit()
        await self._cache.invalidate(lot_id)
        await self._changed(lot, "withdrawn")
        await self._status(LotStatusChanged(lot_id, lot.status, lot.closes_at))

    async def relist_lot(self, actor: Principal, lot_id: int, day: date) -> LotView:
        async with self._uow() as uow:
            lot = await self._own_lot(uow, actor, lot_id, admin_may=False)
            lot.relist(day, now=self._clock.now(), window=self.window)
            await uow.lots.save(lot)
            await uow.lots.record_transition(lot_id, lot.status, self._clock.now(), actor.user_id)
            await uow.commit()
        await self._changed(lot, "relisted")
        view = await self._fresh(lot_id)
        await self._status(LotStatusChanged(lot_id, view.status, view.closes_at, StatusReason.RELISTED))
        return view

    async def _status(self, moved: LotStatusChanged) -> None:
        """Tell live clients of a committed move, after the cache is dropped (so they can read it).

        A failure fails the request, as a failed cache drop does; a stream that missed the event
        learns the truth from the database when it reconnects (a withdrawn lot's is then a 404, a
        relisted lot's snapshot starts from its new day).
        """
        if self._on_status is not None:
            await self._on_status(moved)

    async def _own_lot(
        self, uow: CatalogUnitOfWork, actor: Principal, lot_id: int, *, admin_may: bool
    ) -> Lot:
        lot = await uow.lots.get(lot_id)
        if lot is None or (lot.status is LotStatus.WITHDRAWN and not _may_see(actor, lot.seller_id)):
            raise NotFound("No such lot.")
        if lot.seller_id != actor.user_id and not (admin_may and actor.is_admin):
            raise Forbidden("Only the seller may change this lot.")
        return lot

    # ------------------------------------------------------------------ reading
    async def lot(self, lot_id: int) -> LotView:
        """The detail, from the cache when fresh enough; a withdrawn lot is its seller's business."""
        view = await self._cache.get(lot_id) if self._cache_ttl else None
        if view is None:
            async with self._uow() as uow:
                view = await uow.lots.view(lot_id)
            if view is None:
                raise NotFound("No such lot.")
            if self._cache_ttl:
                await self._cache.put(view, self._cache_ttl)
        if view.status is LotStatus.WITHDRAWN:  # the seller still sees it in their own list
            raise NotFound("No such lot.")
        return await self._live(view)

    async def _live(self, view: LotView) -> LotView:
        """The cached detail may be seconds old; an open lot's price comes from the gate, never stale."""
        if self._prices is None or view.status is not LotStatus.OPEN:
            return view
        live = await self._prices.current(view.id)
        if live is None:
            return view
        price, count, closes_at = live
        return dataclasses.replace(view, current_price=price, bid_count=count, closes_at=closes_at)

    async def lot_uncached(self, lot_id: int) -> LotView | None:
        """The stored lot as it is now (the gate primes from this, not from a cached copy)."""
        async with self._uow() as uow:
            return await uow.lots.view(lot_id)

    async def _fresh(self, lot_id: int) -> LotView:
        await self._cache.invalidate(lot_id)
        async with self._uow() as uow:
            view = await uow.lots.view(lot_id)
        if view is None:  # pragma: no cover - the caller just wrote it
            raise NotFound("No such lot.")
        return view

    async def find_lots(self, query: LotQuery, page: PageRequest) -> Page[LotView]:
        """The public list: withdrawn lots are nobody's business but their seller's."""
        statuses = (query.statuses or _PUBLIC) & _PUBLIC
        if not statuses:
            return Page([], page.page, page.size, 0)
        return await self._find(
            LotQuery(statuses, query.category_id, query.auction_day, query.seller_id, query.sort), page
        )

    async def my_lots(
        self, actor: Principal, page: PageRequest, sort: LotSort = LotSort.NEWEST
    ) -> Page[LotView]:
        return await self._find(LotQuery(seller_id=actor.user_id, sort=sort), page)

    async def featured(self, page: PageRequest) -> FeaturedPage:
        """The main page, by the time of day in Korea whatever the server's zone."""
        day, phase = self.window.phase(self._clock.now())
        statuses, sort = _FEATURED[phase]
        lots = await self._find(LotQuery(statuses=statuses, auction_day=day, sort=sort), page)
        return FeaturedPage(day, phase, lots)

    async def _find(self, query: LotQuery, page: PageRequest) -> Page[LotView]:
        async with self._uow() as uow:
            return await uow.lots.find(query, page)

    # ------------------------------------------------------------------ transitions other contexts drive
    async def lots_due(
        self, status: LotStatus, *, by: datetime, through_day: date | None = None, limit: int = 500
    ) -> list[int]:
        """Lots the day's schedule must move now.

        ``SCHEDULED`` ones whose opening has come (of any past day too, so a missed 09:00 is caught
        up) or ``OPEN`` ones whose close has come.
        """
        if status not in (LotStatus.SCHEDULED, LotStatus.OPEN):
            raise ValueError(f"no transition is due from {status}")
        async with self._uow() as uow:
            day = min(through_day or self.window.seoul_day(by), self.window.seoul_day(by))
            return await uow.lots.due(status, through_day=day, by=by, limit=limit)

    async def open_lot(self, lot_id: int) -> LotView | None:
        """SCHEDULED → OPEN; ``None`` when the lot is not scheduled (opened already: idempotent)."""
        return await self._transition(lot_id, Lot.open, only_from=LotStatus.SCHEDULED)

    async def close_lot(
        self,
        lot_id: int,
        *,
        has_winner: bool,
        price: int | None = None,
        bid_count: int = 0,
        closes_at: datetime | None = None,
    ) -> LotView | None:
        """OPEN → SOLD/UNSOLD with the gate's final price; ``None`` when the lot is not open."""

        def close(lot: Lot) -> None:
            if price is not None:
                lot.record_bid(price=price, bid_count=bid_count, closes_at=closes_at)
            lot.close(has_winner=has_winner)

        return await self._transition(lot_id, close, only_from=LotStatus.OPEN)

    async def mark_lot_paid(self, lot_id: int) -> LotView | None:
        return await self._transition(lot_id, Lot.mark_paid, only_from=LotStatus.SOLD)

    async def lapse_lot(self, lot_id: int) -> LotView | None:
        """SOLD → UNSOLD: the winner did not pay in time, so the seller may relist."""
        return await self._transition(lot_id, Lot.lapse, only_from=LotStatus.SOLD)

    async def lot_views(self, lot_ids: list[int]) -> list[LotView]:
        """The stored lots among ``lot_ids``, withdrawn ones included (copies must learn of those too)."""
        async with self._uow() as uow:
            return await uow.lots.views(lot_ids)

    async def lot_versions(self, after_id: int, limit: int = 1_000) -> list[tuple[int, int]]:
        """Every lot's ``(id, version)``, a page at a time in id order: what a copy compares itself with."""
        async with self._uow() as uow:
            return await uow.lots.versions(after_id, limit)

    async def lot_history(self, lot_id: int) -> list[LotTransition]:
        """Every status the lot took, when and by whom, oldest first (the audit trail)."""
        async with self._uow() as uow:
            return await uow.lots.transitions(lot_id)

    async def titles(self, lot_ids: list[int]) -> dict[int, str]:
        async with self._uow() as uow:
            return await uow.lots.titles(lot_ids)

    async def record_bid(
        self, lot_id: int, *, price: int, bid_count: int, closes_at: datetime | None = None
    ) -> None:
        """Copy the bid gate's accepted price for lists and sorting; late or repeated reports are ignored.

        Every API process's bid-log writer copies, so two may copy one lot at once and the second
        to save finds the lot changed. It reads the lot again and applies its report if that is
        still the newer one: dropped, the lot's newest price could stay uncopied until its next
        bid or its close (search and lists showing an old price meanwhile).
        """
        for attempt in range(1, _COPY_ATTEMPTS + 1):
            try:
                lot = await self._copy_bid(lot_id, price, bid_count, closes_at)
                break
            except LotStateConflict:
                if attempt == _COPY_ATTEMPTS:
                    raise
        if lot is None:
            return
        await self._cache.invalidate(lot_id)
        await self._changed(lot, "bid")

    async def _copy_bid(
        self, lot_id: int, price: int, bid_count: int, closes_at: datetime | None
    ) -> Lot | None:
        """The lot with the report applied and saved, or ``None`` when the report was not newer."""
        async with self._uow() as uow:
            lot = await uow.lots.get(lot_id)
            if lot is None:
                raise NotFound("No such lot.")
            if not lot.record_bid(price=price, bid_count=bid_count, closes_at=closes_at):
                return None
            await uow.lots.save(lot)
            await uow.commit()
        return lot

    async def _transition(
        self, lot_id: int, step: Callable[[Lot], None], *, only_from: LotStatus
    ) -> LotView | None:
        async with self._uow() as uow:
            lot = await uow.lots.get(lot_id)
            if lot is None:
                raise NotFound("No such lot.")
            if lot.status is not only_from:
                return None
            step(lot)
            await uow.lots.save(lot)
            await uow.lots.record_transition(lot_id, lot.status, self._clock.now(), None)
            await uow.commit()
        await self._changed(lot, "status")
        view = await self._fresh(lot_id)
        await self._status(LotStatusChanged(lot_id, view.status, view.closes_at))
        return view


def _require_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise Forbidden("Only an administrator may manage categories.")


def _may_see(actor: Principal, seller_id: int) -> bool:
    return actor.user_id == seller_id or actor.is_admin
