"""The lot detail is served from the read cache for its TTL, and a change through the service drops it."""

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sagopalgo.catalog.adapters.cache import MemoryLotCache
from sagopalgo.catalog.adapters.images.local import LocalImageStore
from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.catalog.contract import LotStatusChanged
from sagopalgo.catalog.domain.lot import Listing, Lot, LotTerms
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.kernel.clock import ManualClock

Uow = Callable[[], SqlCatalogUnitOfWork]


class Announced:
    def __init__(self) -> None:
        self.statuses: list[tuple[int, str]] = []

    async def append_view(self, moved: LotStatusChanged) -> None:
        self.statuses.append((moved.lot_id, moved.status.value))


async def test_detail_is_cached_for_the_ttl_and_invalidated_by_changes(
    uow: Uow, clock: ManualClock, tmp_path: Path
) -> None:
    announced = Announced()
    service = CatalogService(
        uow=uow,
        images=LocalImageStore(tmp_path, "http://unused/upload", b"k" * 32),
        cache=MemoryLotCache(clock),
        clock=clock,
        window=AuctionWindow(),
        max_krw=10**12,
        image_max_bytes=1024,
        upload_ttl=timedelta(minutes=10),
        cache_ttl_seconds=5,
        on_status=announced.append_view,
    )
    async with uow() as tx:
        category = await tx.categories.add("cache-test")
        lot = Lot.listed(
            seller_id=1,
            seller_username="s",
            listing=Listing.of(title="before", description="", category_id=category.id),
            terms=LotTerms(1_000, 100),
            auction_day=date(2026, 11, 26),
            image_keys=("k",),
            extended_bidding=False,
            now=clock.now(),
            window=AuctionWindow(),
        )
        await tx.lots.add(lot)
        await tx.commit()
    assert lot.id is not None
    assert (await service.lot(lot.id)).title == "before"

    async with uow() as tx:  # a write that bypasses the service (and so the cache)
        stored = await tx.lots.get(lot.id)
        assert stored is not None
        stored.listing = Listing.of(title="after", description="", category_id=category.id)
        await tx.lots.save(stored)
        await tx.commit()
    assert (await service.lot(lot.id)).title == "before"  # still the cached copy
    clock.advance(timedelta(seconds=5))
    assert (await service.lot(lot.id)).title == "after"  # the TTL ran out

    await service.open_lot(lot.id)
    assert announced.statuses == [(lot.id, "OPEN")]  # live clients hear of every transition
    await service.record_bid(lot.id, price=1_500, bid_count=1)
    view = await service.lot(lot.id)  # a change through the service shows at once
    assert (view.price, view.bid_count, view.minimum_next_bid) == (1_500, 1, 1_600)
