"""Every lot transition, allowed and refused."""

from datetime import UTC, date, datetime

import pytest

from sagopalgo.catalog.domain.errors import LotLocked, LotStateConflict
from sagopalgo.catalog.domain.lot import (
    MIN_INCREMENT_KRW,
    MIN_START_PRICE_KRW,
    Listing,
    Lot,
    LotStatus,
    LotTerms,
)
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.kernel.errors import Invalid

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 10:00 KST
MAX = 1_000_000_000_000


WINDOW = AuctionWindow()
LISTING = Listing.of(title="조선 백자 달항아리", description="18세기", category_id=1)


def lot(status: LotStatus = LotStatus.SCHEDULED) -> Lot:
    item = Lot.listed(
        seller_id=1,
        seller_username="seller",
        listing=LISTING,
        terms=LotTerms(10_000, 1_000),
        auction_day=date(2026, 11, 26),
        image_keys=("lots/1/a.png",),
        extended_bidding=False,
        now=NOW,
        window=WINDOW,
    )
    item.status = status
    return item


ALL = list(LotStatus)


def test_scheduled_lot_opens_then_sells_then_is_paid() -> None:
    item = lot()
    item.open()
    item.close(has_winner=True)
    assert item.status is LotStatus.SOLD
    item.mark_paid()
    assert item.status is LotStatus.PAID


def test_open_lot_without_bids_is_unsold_and_can_be_relisted_for_a_later_day() -> None:
    item = lot(LotStatus.OPEN)
    item.close(has_winner=False)
    assert item.status is LotStatus.UNSOLD
    item.relist(date(2026, 11, 27), now=NOW, window=AuctionWindow())
    assert (item.status, item.auction_day) == (LotStatus.SCHEDULED, date(2026, 11, 27))


def test_relisting_for_a_day_already_open_is_refused_and_changes_nothing() -> None:
    item = lot(LotStatus.UNSOLD)
    with pytest.raises(Invalid):
        item.relist(date(2026, 11, 25), now=NOW, window=AuctionWindow())
    assert item.status is LotStatus.UNSOLD


@pytest.mark.parametrize("status", [s for s in ALL if s is not LotStatus.SCHEDULED])
def test_only_scheduled_lots_can_be_edited_or_withdrawn(status: LotStatus) -> None:
    item = lot(status)
    with pytest.raises(LotLocked):
        item.withdraw(now=NOW)
    with pytest.raises(LotLocked):
        item.edit(listing=Listing.of(title="xy", description="y", category_id=2), now=NOW)
    assert item.status is status
    assert item.listing == LISTING


def test_scheduled_lot_can_be_edited_and_withdrawn() -> None:
    item = lot()
    new = Listing.of(title="새 제목", description="d", category_id=2)
    item.edit(listing=new, terms=LotTerms(20_000, 500), image_keys=("lots/1/b.png",), now=NOW)
    assert (item.listing, item.terms, item.image_keys) == (new, LotTerms(20_000, 500), ("lots/1/b.png",))
    item.withdraw(now=NOW)
    assert item.status is LotStatus.WITHDRAWN


def test_a_scheduled_lot_whose_opening_has_passed_is_locked_even_before_the_opener_runs() -> None:
    item = lot()
    at_nine = WINDOW.opens_at(item.auction_day)
    with pytest.raises(LotLocked):
        item.withdraw(now=at_nine)
    with pytest.raises(LotLocked):
        item.edit(terms=LotTerms(1_000, 100), now=at_nine)
    assert (item.status, item.terms) == (LotStatus.SCHEDULED, LotTerms(10_000, 1_000))


def test_listing_takes_the_window_of_its_day_in_seoul() -> None:
    item = lot()
    assert item.opens_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # 09:00 KST
    assert item.closes_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 18:00 KST


def test_relisting_moves_the_window_and_forgets_the_old_day() -> None:
    item = lot(LotStatus.UNSOLD)
    item.relist(date(2026, 12, 1), now=NOW, window=WINDOW)
    assert item.opens_at == WINDOW.opens_at(date(2026, 12, 1))
    assert (item.current_price, item.bid_count) == (None, 0)


def test_recorded_bids_only_move_forward() -> None:
    item = lot(LotStatus.OPEN)
    later = item.closes_at.replace(minute=5)
    assert item.record_bid(price=12_000, bid_count=2, closes_at=later)
    assert not item.record_bid(price=11_000, bid_count=1)
    assert (item.price, item.bid_count, item.closes_at) == (12_000, 2, later)


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        (lambda lot: lot.open(), {LotStatus.SCHEDULED}),
        (lambda lot: lot.close(has_winner=True), {LotStatus.OPEN}),
        (lambda lot: lot.mark_paid(), {LotStatus.SOLD}),
        (lambda lot: lot.relist(date(2026, 12, 1), now=NOW, window=AuctionWindow()), {LotStatus.UNSOLD}),
    ],
)
def test_transitions_refuse_every_other_starting_state(action, allowed) -> None:  # type: ignore[no-untyped-def]
    for status in ALL:
        item = lot(status)
        if status in allowed:
            action(item)
            assert item.status is not status
        else:
            with pytest.raises(LotStateConflict):
                action(item)
            assert item.status is status


@pytest.mark.parametrize(
    ("start", "step", "field"),
    [
        (MIN_START_PRICE_KRW - 1, 1_000, "startPrice"),
        (0, 1_000, "startPrice"),
        (-5, 1_000, "startPrice"),
        (10.5, 1_000, "startPrice"),
        ("10000", 1_000, "startPrice"),
        (MAX + 1, 1_000, "startPrice"),
        (2**63, 1_000, "startPrice"),
        (10_000, MIN_INCREMENT_KRW - 1, "bidIncrement"),
        (10_000, 0, "bidIncrement"),
        (10_000, True, "bidIncrement"),
    ],
)
def test_terms_are_integer_krw_within_bounds(start: object, step: object, field: str) -> None:
    with pytest.raises(Invalid) as info:
        LotTerms.of(start, step, max_krw=MAX)
    assert info.value.field == field


def test_terms_at_the_bounds_pass() -> None:
    assert LotTerms.of(MIN_START_PRICE_KRW, MIN_INCREMENT_KRW, max_krw=MAX) == LotTerms(1_000, 100)
    assert LotTerms.of(MAX - 100, 100, max_krw=MAX) == LotTerms(MAX - 100, 100)


def test_a_first_raise_past_the_bound_is_refused_at_listing() -> None:
    with pytest.raises(Invalid) as info:
        LotTerms.of(MAX, 100, max_krw=MAX)
    assert info.value.field == "bidIncrement"
