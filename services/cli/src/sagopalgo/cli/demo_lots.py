"""Demo lots: some open right now, whatever the hour, and some for tomorrow.

Today's demo lots get a window of their own that is open when the demo starts (a lot keeps the
window it was listed under), so a newcomer can bid at once; everything listed by hand follows the
deployment's window (09:00-18:00 KST). Photos are generated PNGs, uploaded through the same store
and checks as a seller's.

Yesterday's auction is replayed too, through the same use cases on a clock set to yesterday: one
lot that the first demo bidder won and has yet to pay, so the payment flow (won lots → Toss's
sandbox → paid) can be tried at once.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.api.composition import (
    LocalBus,
    build_auction_days,
    build_bidding,
    build_catalog,
    build_image_store,
)
from sagopalgo.catalog.adapters.images.local import LocalImageStore
from sagopalgo.catalog.application.service import CatalogService, NewLot
from sagopalgo.catalog.contract import CategoryView
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.catalog.ports import LotQuery
from sagopalgo.kernel.clock import SEOUL, Clock, ManualClock
from sagopalgo.kernel.identity import ADMIN, USER, Principal
from sagopalgo.kernel.paging import PageRequest
from sagopalgo.platform.settings import Settings
from sagopalgo.platform.sql import session_factory

__all__ = ["DEMO_CATEGORIES", "WON", "demo_window", "seed_lots"]

DEMO_CATEGORIES = ("도자기", "회화", "고가구", "서예", "민속품")


@dataclass(frozen=True)
class DemoLot:
    title: str
    description: str
    category: str
    start_price: int
    bid_increment: int
    colour: tuple[int, int, int]


TODAY = (
    DemoLot(
        "조선 백자 달항아리",
        "18세기 후반 경기도 광주 분원. 높이 41cm, 입술 일부 보수.",
        "도자기",
        3_000_000,
        100_000,
        (238, 234, 222),
    ),
    DemoLot(
        "고려 청자 상감 운학문 매병",
        "12세기 강진. 학과 구름 상감, 높이 29cm.",
        "도자기",
        12_000_000,
        500_000,
        (126, 160, 140),
    ),
    DemoLot(
        "겸재풍 산수도", "19세기 작자 미상, 수묵담채, 족자 표구.", "회화", 800_000, 50_000, (190, 180, 150)
    ),
    DemoLot(
        "느티나무 반닫이", "경상도 양식 무쇠 장석, 19세기 말.", "고가구", 1_500_000, 100_000, (150, 100, 60)
    ),
    DemoLot("추사체 행서 대련", "근대 임서본, 종이에 먹, 2폭.", "서예", 400_000, 20_000, (245, 240, 225)),
    DemoLot("나전칠기 보석함", "통영 나전, 20세기 초, 경첩 교체.", "민속품", 250_000, 10_000, (40, 30, 30)),
)
TOMORROW = (
    DemoLot(
        "분청사기 철화 어문 장군", "15세기 계룡산 가마 양식.", "도자기", 5_000_000, 200_000, (170, 150, 120)
    ),
    DemoLot(
        "책가도 8폭 병풍", "19세기 궁중 양식 모사, 비단에 채색.", "회화", 2_000_000, 100_000, (120, 60, 50)
    ),
    DemoLot("소반 (해주반)", "황해도 해주, 투각 판각 다리.", "고가구", 300_000, 10_000, (110, 70, 40)),
)

WON = DemoLot(
    "백자 청화 매죽문 연적",
    "19세기 분원. 어제 경매에서 낙찰된 물품(데모): 낙찰자는 '내 낙찰'에서 결제할 수 있습니다.",
    "도자기",
    600_000,
    20_000,
    (200, 215, 235),
)
"""Yesterday's lot, won by the first demo bidder at its start price and not yet paid."""


def png(colour: tuple[int, int, int], size: int = 96) -> bytes:
    """A solid-colour PNG: enough of a photo for a demo, made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(colour) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


def demo_window(now: datetime) -> AuctionWindow:
    """Open from the start of the current hour until up to nine hours later, within today (KST)."""
    local = now.astimezone(SEOUL)
    opens = time(local.hour, 0)
    end = min(
        datetime.combine(local.date(), opens) + timedelta(hours=9),
        datetime.combine(local.date(), time(23, 59)),
    )
    return AuctionWindow(opens=opens, closes=end.time(), hard_cap=end.time())


async def _photo(
    catalog: CatalogService,
    images: LocalImageStore,
    seller: Principal,
    colour: tuple[int, int, int],
    now: datetime,
) -> str:
    data = png(colour)
    ticket = await catalog.request_upload(seller, "image/png", len(data))
    await images.receive(ticket.fields, data, now)
    return ticket.key


async def seed_lots(
    settings: Settings, engine: AsyncEngine, clock: Clock, seller: Principal, winner: Principal
) -> tuple[AuctionWindow, int]:
    """List today's open demo lots and tomorrow's, unless this day's are there already.

    With them, yesterday's won lot (``WON``) for ``winner``; it is not counted in the lots listed.
    """
    sessions = session_factory(engine)
    now = clock.now()
    today = now.astimezone(SEOUL).date()
    window = demo_window(now)
    images = build_image_store(settings)
    if not isinstance(images, LocalImageStore):  # the demo runs on embedded defaults only
        raise RuntimeError("the demo seeds photos into the local image store")
    admin = Principal(user_id=0, username="demo", roles=frozenset({USER, ADMIN}), session_id="demo")
    # Listing happens "just before" the window opens, then the lots open: the same path a real day takes.
    before_opening = ManualClock(window.opens_at(today) - timedelta(minutes=1))
    seeding = build_catalog(sessions, _with_window(settings, window), before_opening, images=images)
    existing = await seeding.find_lots(
        LotQuery(seller_id=seller.user_id, auction_day=today), PageRequest(1, 1)
    )
    if existing.total:
        return window, 0
    categories = {c.name: c for c in await seeding.categories()}
    for name in DEMO_CATEGORIES:
        if name not in categories:
            categories[name] = await seeding.create_category(admin, name)
    listed = 0
    for item in TODAY:
        lot = await seeding.create_lot(
            seller,
            _new_lot(
                item,
                categories,
                today,
                await _photo(seeding, images, seller, item.colour, before_opening.now()),
            ),
        )
        await seeding.open_lot(lot.id)
        listed += 1
    regular = build_catalog(sessions, settings, clock, images=images)
    tomorrow = today + timedelta(days=1)
    for item in TOMORROW:
        await regular.create_lot(
            seller,
            _new_lot(item, categories, tomorrow, await _photo(regular, images, seller, item.colour, now)),
        )
        listed += 1
    await _seed_won_lot(settings, engine, today - timedelta(days=1), seller, winner, categories, images)
    return window, listed


async def _seed_won_lot(
    settings: Settings,
    engine: AsyncEngine,
    day: date,
    seller: Principal,
    winner: Principal,
    categories: dict[str, CategoryView],
    images: LocalImageStore,
) -> None:
    """Run ``day``'s auction of ``WON`` on a clock of its own: listed, opened, one bid, closed.

    The bid goes through a gate of its own (the demo's shared gate is not built yet, and the lot is
    closed before it is); the bid-log writer stores it and the day's close records the award.
    """
    sessions = session_factory(engine)
    clock = ManualClock(datetime.combine(day, time(8, 59), SEOUL))
    catalog = build_catalog(sessions, settings, clock, images=images)
    lot = await catalog.create_lot(
        seller, _new_lot(WON, categories, day, await _photo(catalog, images, seller, WON.colour, clock.now()))
    )
    bidding, _ = build_bidding(sessions, settings, clock, catalog=catalog, bus=LocalBus(), engine=engine)
    days, _ = build_auction_days(sessions, settings, clock, catalog=catalog, bidding=bidding, engine=engine)
    clock.set(catalog.window.opens_at(day))
    await catalog.open_lot(lot.id)
    await bidding.prime(lot.id)
    await bidding.place_bid(winner, lot.id, amount=WON.start_price, max_amount=None, idempotency_key=None)
    while await bidding.write_log("demo-seed", block_ms=0):
        pass
    clock.set(catalog.window.closes_at(day) + timedelta(seconds=1))
    await days.close_day(day, trigger="demo-seed")


def _new_lot(item: DemoLot, categories: dict[str, CategoryView], day: date, key: str) -> NewLot:
    return NewLot(
        title=item.title,
        description=item.description,
        category_id=categories[item.category].id,
        start_price=item.start_price,
        bid_increment=item.bid_increment,
        auction_day=day,
        image_keys=(key,),
        extended_bidding=True,
    )


def _with_window(settings: Settings, window: AuctionWindow) -> Settings:
    return msgspec.structs.replace(
        settings,
        auction_opens=window.opens.strftime("%H:%M"),
        auction_closes=window.closes.strftime("%H:%M"),
        auction_hard_cap=window.hard_cap.strftime("%H:%M"),
    )
