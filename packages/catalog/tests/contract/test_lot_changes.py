"""Every committed change of a lot is announced (``LotChanged``) and every status it takes is kept
with who moved it, on SQLite and on MariaDB.

The announcements are what the search index follows instead of polling the catalog.
"""

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from sagopalgo.catalog.adapters.cache import MemoryLotCache
from sagopalgo.catalog.adapters.images.local import LocalImageStore
from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.catalog.application.service import CatalogService, LotChanges, NewLot
from sagopalgo.catalog.contract import LotChanged, LotStatus, LotStatusChanged, StatusReason
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.kernel.clock import SEOUL, ManualClock
from sagopalgo.kernel.identity import Principal

DAY = date(2026, 11, 26)  # the clock fixture stands at 2026-11-25 10:00 KST
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
SELLER = Principal(7, "seller7", frozenset({"user"}))
ADMIN = Principal(1, "admin", frozenset({"user", "admin"}))


def catalog(
    uow: Callable[[], SqlCatalogUnitOfWork], clock: ManualClock, media: Path, heard: list[LotChanged]
) -> CatalogService:
    async def listen(event: LotChanged) -> None:
        heard.append(event)

    return CatalogService(
        uow=uow,
        images=LocalImageStore(media, "http://127.0.0.1/upload", b"k" * 32),
        cache=MemoryLotCache(clock),
        clock=clock,
        window=AuctionWindow(time(9), time(18), time(18, 30)),
        max_krw=10**12,
        image_max_bytes=1_000,
        upload_ttl=timedelta(minutes=10),
        cache_ttl_seconds=5,
        on_change=listen,
    )


async def new_lot(service: CatalogService, media: Path, category: int, title: str) -> int:
    ticket = await service.request_upload(SELLER, "image/png", len(PNG))
    (media / ticket.key).parent.mkdir(parents=True, exist_ok=True)
    (media / ticket.key).write_bytes(PNG)
    view = await service.create_lot(SELLER, NewLot(title, "", category, 10_000, 1_000, DAY, (ticket.key,)))
    return view.id


async def test_each_kind_of_change_is_announced_with_the_lots_new_version(
    uow: Callable[[], SqlCatalogUnitOfWork], clock: ManualClock, tmp_path: Path
) -> None:
    heard: list[LotChanged] = []
    service = catalog(uow, clock, tmp_path, heard)
    category = (await service.create_category(ADMIN, f"도자기 {uuid.uuid4().hex[:6]}")).id
    lot = await new_lot(service, tmp_path, category, "조선 백자 달항아리")
    other = await new_lot(service, tmp_path, category, "고려청자 매병")
    await service.edit_lot(SELLER, lot, LotChanges(title="조선 백자 편병"))
    await service.withdraw_lot(SELLER, other)
    await service.open_lot(lot)
    await service.record_bid(lot, price=10_000, bid_count=1)
    await service.record_bid(lot, price=10_000, bid_count=1)  # a repeated report changes nothing
    await service.close_lot(lot, has_winner=True, price=11_000, bid_count=2)
    assert [(e.lot_id, e.reason) for e in heard] == [
        (lot, "listed"),
        (other, "listed"),
        (lot, "edited"),
        (other, "withdrawn"),
        (lot, "status"),
        (lot, "bid"),
        (lot, "status"),
    ]
    assert [e.version for e in heard if e.lot_id == lot] == [0, 1, 2, 3, 4]
    views = {v.id: v for v in await service.lot_views([lot, other, 999_999_999])}
    assert (views[lot].version, views[lot].status) == (4, LotStatus.SOLD)
    assert views[other].status is LotStatus.WITHDRAWN  # withdrawn lots are read too, to be unlisted
    assert (lot, 4) in await service.lot_versions(0, 10_000)


async def test_every_status_a_lot_takes_is_kept_with_who_moved_it(
    uow: Callable[[], SqlCatalogUnitOfWork], clock: ManualClock, tmp_path: Path
) -> None:
    """The original kept no record of status transitions (defect 31); here an admin's withdrawal of
    someone else's lot, a seller's relisting and each move of the auction day are on file.

    ``None`` is the auction day itself (which run, and whose, is in bidding's journal of runs).
    """
    service = catalog(uow, clock, tmp_path, [])
    category = (await service.create_category(ADMIN, f"민속품 {uuid.uuid4().hex[:6]}")).id
    unsold, paid, lapsed = [await new_lot(service, tmp_path, category, f"떡살 {n}") for n in range(3)]
    start = clock.now()
    for lot in (unsold, paid, lapsed):
        await service.open_lot(lot)
    clock.advance(timedelta(hours=8))
    await service.close_lot(unsold, has_winner=False)
    await service.close_lot(paid, has_winner=True, price=12_000, bid_count=1)
    await service.close_lot(lapsed, has_winner=True, price=15_000, bid_count=2)
    await service.open_lot(paid)  # not scheduled: nothing moves, nothing is written
    await service.mark_lot_paid(paid)
    await service.lapse_lot(lapsed)
    await service.relist_lot(SELLER, unsold, DAY + timedelta(days=2))
    await service.withdraw_lot(ADMIN, unsold)

    def moves(lot: int) -> list[tuple[LotStatus, int | None]]:
        return [(t.status, t.actor_id) for t in history[lot]]

    history = {lot: await service.lot_history(lot) for lot in (unsold, paid, lapsed)}
    assert moves(unsold) == [
        (LotStatus.SCHEDULED, SELLER.user_id),
        (LotStatus.OPEN, None),
        (LotStatus.UNSOLD, None),
        (LotStatus.SCHEDULED, SELLER.user_id),
        (LotStatus.WITHDRAWN, ADMIN.user_id),
    ]
    assert moves(paid) == [
        (LotStatus.SCHEDULED, SELLER.user_id),
        (LotStatus.OPEN, None),
        (LotStatus.SOLD, None),
        (LotStatus.PAID, None),
    ]
    assert moves(lapsed)[-2:] == [(LotStatus.SOLD, None), (LotStatus.UNSOLD, None)]
    times = [t.at for t in history[unsold]]
    assert times == sorted(times)
    assert times[1:3] == [start, start + timedelta(hours=8)]
    assert await service.lot_history(999_999_999) == []


async def test_a_failing_listener_never_fails_the_change(
    uow: Callable[[], SqlCatalogUnitOfWork], clock: ManualClock, tmp_path: Path
) -> None:
    service = catalog(uow, clock, tmp_path, [])

    async def broken(event: LotChanged) -> None:
        raise ConnectionError("search is down")

    service._on_change = broken
    category = (await service.create_category(ADMIN, f"목가구 {uuid.uuid4().hex[:6]}")).id
    lot = await new_lot(service, tmp_path, category, "조선 소반")
    assert (await service.lot(lot)).title == "조선 소반"


@pytest.mark.parametrize("size", [1, 2])
async def test_versions_page_in_id_order(
    uow: Callable[[], SqlCatalogUnitOfWork], clock: ManualClock, tmp_path: Path, size: int
) -> None:
    service = catalog(uow, clock, tmp_path, [])
    category = (await service.create_category(ADMIN, f"서화 {uuid.uuid4().hex[:6]}")).id
    made = [await new_lot(service, tmp_path, category, f"민화 {n}") for n in range(3)]
    first = await service.lot_versions(made[0] - 1, size)
    assert first == [(made[i], 0) for i in range(size)]
    rest = await service.lot_versions(first[-1][0], 10)
    assert [i for i, _ in rest][: 3 - size] == made[size:]


async def test_every_status_move_is_announced_to_live_clients_after_it_committed(
    uow: Callable[[], SqlCatalogUnitOfWork], clock: ManualClock, tmp_path: Path
) -> None:
    """The day's moves, and the seller's: a withdrawal and a relisting change a lot's status too."""
    service = catalog(uow, clock, tmp_path, [])
    moves: list[tuple[int, LotStatus, datetime, StatusReason | None]] = []

    async def told(moved: LotStatusChanged) -> None:
        async with uow() as tx:  # committed before anyone is told
            stored = await tx.lots.get(moved.lot_id)
        assert stored is not None
        assert stored.status is moved.status
        moves.append((moved.lot_id, moved.status, moved.closes_at, moved.reason))

    service._on_status = told
    category = (await service.create_category(ADMIN, f"공예 {uuid.uuid4().hex[:6]}")).id
    sold, unsold, withdrawn = [await new_lot(service, tmp_path, category, f"나전 {n}") for n in range(3)]
    await service.withdraw_lot(ADMIN, withdrawn)  # an admin may withdraw too
    for lot in (sold, unsold):
        await service.open_lot(lot)
    await service.close_lot(sold, has_winner=True, price=12_000, bid_count=2)
    await service.close_lot(unsold, has_winner=False)
    await service.lapse_lot(sold)
    await service.relist_lot(SELLER, unsold, date(2026, 11, 28))
    six = datetime(2026, 11, 26, 18, tzinfo=SEOUL)
    assert moves == [
        (withdrawn, LotStatus.WITHDRAWN, six, None),
        (sold, LotStatus.OPEN, six, None),
        (unsold, LotStatus.OPEN, six, None),
        (sold, LotStatus.SOLD, six, None),
        (unsold, LotStatus.UNSOLD, six, None),
        (sold, LotStatus.UNSOLD, six, None),
        (unsold, LotStatus.SCHEDULED, datetime(2026, 11, 28, 18, tzinfo=SEOUL), StatusReason.RELISTED),
    ]


@pytest.mark.parametrize("first", ["newer", "older"])
async def test_two_writers_copying_bids_at_once_leave_the_newest_price(
    uow: Callable[[], SqlCatalogUnitOfWork], clock: ManualClock, tmp_path: Path, first: str
) -> None:
    """Two API processes' bid-log writers copy one lot's bids at once (the fault run saw it every
    few seconds): the one that read the lot first finds it changed when it saves. Its copy must
    not be dropped — it may be the lot's newest price, and nothing else would bring it."""
    armed = False
    service: CatalogService | None = None
    newer, older = (12_000, 3), (11_000, 2)
    mine, theirs = (newer, older) if first == "newer" else (older, newer)

    class Raced(SqlCatalogUnitOfWork):
        async def __aenter__(self) -> "Raced":
            await super().__aenter__()
            read = self.lots.get

            async def get(lot_id: int):  # type: ignore[no-untyped-def]
                found = await read(lot_id)
                self.lots.get = read  # type: ignore[method-assign]  # a retry reads plainly
                assert service is not None
                await service.record_bid(lot_id, price=theirs[0], bid_count=theirs[1])
                return found

            self.lots.get = get  # type: ignore[method-assign]
            return self

    def racing() -> SqlCatalogUnitOfWork:
        nonlocal armed
        plain = uow()
        if not armed:
            return plain
        armed = False  # only the next unit of work is raced
        return Raced(plain._factory)

    service = catalog(racing, clock, tmp_path, [])
    category = (await service.create_category(ADMIN, f"민속 {uuid.uuid4().hex[:6]}")).id
    lot = await new_lot(service, tmp_path, category, "백자 항아리")
    await service.open_lot(lot)
    armed = True
    await service.record_bid(lot, price=mine[0], bid_count=mine[1])
    view = (await service.lot_views([lot]))[0]
    assert (view.price, view.bid_count) == newer
