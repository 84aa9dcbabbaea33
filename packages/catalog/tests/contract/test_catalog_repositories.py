"""The catalog repositories' contract, on SQLite and on MariaDB (``database_url`` runs both)."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.catalog.contract import LotStatus
from sagopalgo.catalog.domain.category import Category
from sagopalgo.catalog.domain.errors import CategoryExists, CategoryInUse, ImageKeyInvalid, LotStateConflict
from sagopalgo.catalog.domain.images import ImageUpload, upload_key
from sagopalgo.catalog.domain.lot import Listing, Lot, LotTerms
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.catalog.ports import LotQuery, LotSort
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.paging import PageRequest

Uow = Callable[[], SqlCatalogUnitOfWork]
DAY = date(2026, 11, 26)
FIRST = PageRequest(1, 10)


async def _category(uow: Uow, name: str | None = None) -> Category:
    async with uow() as tx:
        category = await tx.categories.add(name or f"cat-{uuid.uuid4().hex[:8]}")
        await tx.commit()
    return category


async def _upload(uow: Uow, clock: ManualClock, owner: int = 7) -> str:
    key = upload_key(owner, uuid.uuid4().hex, "image/png")
    async with uow() as tx:
        await tx.uploads.add(ImageUpload(key, owner, "image/png", 1000, clock.now(), clock.now()))
        await tx.commit()
    return key


async def _lot(
    uow: Uow, clock: ManualClock, category: Category, *, seller: int = 7, day: date = DAY, price: int = 10_000
) -> Lot:
    key = await _upload(uow, clock, seller)
    lot = Lot.listed(
        seller_id=seller,
        seller_username=f"user{seller}",
        listing=Listing.of(title="청자 상감 운학문 매병", description="고려", category_id=category.id),
        terms=LotTerms(price, 500),
        auction_day=day,
        image_keys=(key,),
        extended_bidding=False,
        now=clock.now(),
        window=AuctionWindow(),
    )
    async with uow() as tx:
        await tx.lots.add(lot)
        assert lot.id is not None
        await tx.uploads.attach(lot.id, lot.image_keys, seller, clock.now())
        await tx.commit()
    return lot


async def test_categories_are_unique_ignoring_case(uow: Uow) -> None:
    name = f"Ceramics-{uuid.uuid4().hex[:6]}"
    first = await _category(uow, name)
    with pytest.raises(CategoryExists):
        await _category(uow, name.upper())
    other = await _category(uow)
    async with uow() as tx:
        with pytest.raises(CategoryExists):
            await tx.categories.rename(other.id, name.lower())
    async with uow() as tx:
        assert await tx.categories.get(first.id) == first
        assert first in await tx.categories.all()
        assert await tx.categories.rename(first.id, name + " (old)")
        assert not await tx.categories.rename(10**12, "nothing")
        await tx.commit()
    async with uow() as tx:
        assert await tx.categories.get(first.id) == Category(first.id, name + " (old)")


async def test_a_category_in_use_cannot_be_deleted_but_an_empty_one_can(uow: Uow, clock: ManualClock) -> None:
    used, empty = await _category(uow), await _category(uow)
    await _lot(uow, clock, used)
    async with uow() as tx:
        with pytest.raises(CategoryInUse):
            await tx.categories.delete(used.id)
    async with uow() as tx:
        assert await tx.categories.delete(empty.id)
        assert not await tx.categories.delete(10**12)
        await tx.commit()
    async with uow() as tx:
        assert await tx.categories.get(used.id) == used
        assert await tx.categories.get(empty.id) is None


async def test_a_category_deleted_while_a_lot_is_listed_is_a_refusal(uow: Uow, clock: ManualClock) -> None:
    """The service checks the category, then an admin deletes it, then the lot is stored.

    The database's foreign key refuses the lot; that must reach the seller as an invalid
    ``categoryId`` (400), not as the 500 the original answered for a category gone from under it.
    """
    doomed, kept = await _category(uow), await _category(uow)
    listed = await _lot(uow, clock, kept)
    lot = Lot.listed(
        seller_id=7,
        seller_username="user7",
        listing=Listing.of(title="분청사기 편병", description="", category_id=doomed.id),
        terms=LotTerms(10_000, 500),
        auction_day=DAY,
        image_keys=(await _upload(uow, clock),),
        extended_bidding=False,
        now=clock.now(),
        window=AuctionWindow(),
    )
    assert listed.id is not None
    async with uow() as seller:
        assert await seller.categories.get(doomed.id) == doomed  # the service's check passes
        moved = await seller.lots.get(listed.id)
        assert moved is not None
        async with uow() as admin:
            assert await admin.categories.delete(doomed.id)
            await admin.commit()
        with pytest.raises(Invalid) as refused:
            await seller.lots.add(lot)
        assert refused.value.field == "categoryId"
    async with uow() as seller:
        moved = await seller.lots.get(listed.id)
        assert moved is not None
        into_doomed = Listing.of(title="청자 매병", description="", category_id=doomed.id)
        moved.edit(listing=into_doomed, now=clock.now())
        with pytest.raises(Invalid) as refused:
            await seller.lots.save(moved)
        assert refused.value.field == "categoryId"
    async with uow() as tx:
        assert (await tx.lots.find(LotQuery(category_id=doomed.id), FIRST)).total == 0


async def test_a_lot_reads_back_whole_with_utc_times_and_ordered_photos(uow: Uow, clock: ManualClock) -> None:
    category = await _category(uow)
    lot = await _lot(uow, clock, category)
    extra = await _upload(uow, clock)
    assert lot.id is not None
    async with uow() as tx:
        await tx.uploads.attach(lot.id, (extra, lot.image_keys[0]), 7, clock.now())
        await tx.commit()
    async with uow() as tx:
        stored = await tx.lots.get(lot.id)
        view = await tx.lots.view(lot.id)
    assert stored is not None
    assert view is not None
    assert stored.image_keys == view.image_keys == (extra, lot.image_keys[0])
    assert (stored.opens_at, stored.closes_at) == (lot.opens_at, lot.closes_at)
    assert stored.opens_at.utcoffset() == timedelta(0)
    assert (stored.listing, stored.terms, stored.status) == (lot.listing, lot.terms, LotStatus.SCHEDULED)
    assert (view.category.name, view.seller_username, view.price) == (category.name, "user7", 10_000)


async def test_a_stale_write_loses_to_the_one_before_it(uow: Uow, clock: ManualClock) -> None:
    lot = await _lot(uow, clock, await _category(uow))
    assert lot.id is not None
    async with uow() as a, uow() as b:
        mine, theirs = await a.lots.get(lot.id), await b.lots.get(lot.id)
        assert mine is not None
        assert theirs is not None
        theirs.withdraw(now=clock.now())
        await b.lots.save(theirs)
        await b.commit()
        mine.edit(terms=LotTerms(1_000, 100), now=clock.now())
        with pytest.raises(LotStateConflict):
            await a.lots.save(mine)
    async with uow() as tx:
        final = await tx.lots.get(lot.id)
    assert final is not None
    assert (final.status, final.terms) == (LotStatus.WITHDRAWN, lot.terms)


async def test_the_sweep_forgets_only_photos_still_unused(uow: Uow, clock: ManualClock) -> None:
    """A photo the sweep found unused but a lot took before the sweep's delete stays the lot's."""
    category = await _category(uow)
    taken, unused = await _upload(uow, clock), await _upload(uow, clock)
    listed = await _lot(uow, clock, category)
    assert listed.id is not None
    async with uow() as sweep:
        found = await sweep.uploads.unused(clock.now(), 10_000)
        assert {taken, unused} <= set(found)
        assert listed.image_keys[0] not in found
        async with uow() as seller:
            await seller.uploads.attach(listed.id, (*listed.image_keys, taken), 7, clock.now())
            await seller.commit()
        assert not await sweep.uploads.forget(taken)
        assert await sweep.uploads.forget(unused)
        assert not await sweep.uploads.forget(unused)
        await sweep.commit()
    async with uow() as tx:
        assert set(await tx.uploads.get_many([taken, unused])) == {taken}
        assert not {taken, unused} & set(await tx.uploads.unused(clock.now(), 10_000))


async def test_two_lots_racing_for_one_photo_leave_it_with_exactly_one(uow: Uow, clock: ManualClock) -> None:
    category = await _category(uow)
    key = await _upload(uow, clock)

    async def claim() -> str:
        lot = Lot.listed(
            seller_id=7,
            seller_username="user7",
            listing=Listing.of(title="race", description="", category_id=category.id),
            terms=LotTerms(1_000, 100),
            auction_day=DAY,
            image_keys=(key,),
            extended_bidding=False,
            now=clock.now(),
            window=AuctionWindow(),
        )
        try:
            async with uow() as tx:
                await tx.lots.add(lot)
                assert lot.id is not None
                await tx.uploads.attach(lot.id, (key,), 7, clock.now())
                await tx.commit()
        except ImageKeyInvalid:
            return "refused"
        except OperationalError as error:
            # InnoDB may pick a deadlock victim among the racers: its transaction is rolled back
            # whole (no lot, no claim), the API answers 503 with Retry-After, and the client tries
            # again, as here. What must hold is that exactly one lot ends up with the photo.
            if "1213" not in str(error.orig):
                raise
            return "retry"
        return "won"

    async def claim_until_answered() -> str:
        while (outcome := await claim()) == "retry":
            pass
        return outcome

    outcomes = await asyncio.gather(*(claim_until_answered() for _ in range(4)))
    assert sorted(outcomes) == ["refused", "refused", "refused", "won"]
    async with uow() as tx:
        uploads = await tx.uploads.get_many([key])
    assert uploads[key].lot_id is not None


async def test_someone_elses_upload_cannot_be_attached(uow: Uow, clock: ManualClock) -> None:
    lot = await _lot(uow, clock, await _category(uow))
    foreign = await _upload(uow, clock, owner=8)
    assert lot.id is not None
    async with uow() as tx:
        with pytest.raises(ImageKeyInvalid):
            await tx.uploads.attach(lot.id, (foreign,), 7, clock.now())


async def test_find_filters_sorts_and_pages(uow: Uow, clock: ManualClock) -> None:
    category = await _category(uow)
    seller = int(uuid.uuid4().int % 10**9) + 1000
    cheap = await _lot(uow, clock, category, seller=seller, price=1_000)
    clock.advance(timedelta(seconds=1))
    dear = await _lot(uow, clock, category, seller=seller, price=90_000)
    clock.advance(timedelta(seconds=1))
    later = await _lot(uow, clock, category, seller=seller, price=5_000, day=DAY + timedelta(days=1))
    assert dear.id is not None
    async with uow() as tx:
        stored = await tx.lots.get(dear.id)
        assert stored is not None
        stored.open()
        stored.record_bid(price=95_000, bid_count=3)
        await tx.lots.save(stored)
        await tx.commit()

    async def ids(query: LotQuery, page: PageRequest = FIRST) -> tuple[list[int | None], int]:
        async with uow() as tx:
            result = await tx.lots.find(query, page)
        return [v.id for v in result.items], result.total

    mine = LotQuery(seller_id=seller)
    assert await ids(mine) == ([later.id, dear.id, cheap.id], 3)
    assert await ids(LotQuery(seller_id=seller, sort=LotSort.PRICE_ASC)) == ([cheap.id, later.id, dear.id], 3)
    assert (await ids(LotQuery(seller_id=seller, sort=LotSort.PRICE_DESC)))[0][0] == dear.id
    assert (await ids(LotQuery(seller_id=seller, sort=LotSort.BID_COUNT_DESC)))[0][0] == dear.id
    assert (await ids(LotQuery(seller_id=seller, sort=LotSort.CLOSING_SOON)))[0][-1] == later.id
    assert await ids(LotQuery(seller_id=seller, auction_day=DAY, statuses=frozenset({LotStatus.OPEN}))) == (
        [dear.id],
        1,
    )
    assert await ids(LotQuery(seller_id=seller, category_id=category.id), PageRequest(2, 2)) == (
        [cheap.id],
        3,
    )
    assert await ids(mine, PageRequest(5, 2)) == ([], 3)
