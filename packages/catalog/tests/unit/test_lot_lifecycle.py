"""Every lot transition, allowed and refused."""

from datetime import UTC, date, datetime

import pytest

from sagopalgo.catalog.domain.errors import LotLocked, LotStateConflict
from sagopalgo.catalog.domain.lot import MIN_INCREMENT_KRW, MIN_START_PRICE_KRW, Lot, LotStatus, LotTerms
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.kernel.errors import Invalid

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 10:00 KST
MAX = 1_000_000_000_000


def lot(status: LotStatus = LotStatus.SCHEDULED) -> Lot:
    return Lot(
        seller_id=1,
        title="조선 백자 달항아리",
        description="18세기",
        category_id=1,
        terms=LotTerms(10_000, 1_000),
        auction_day=date(2026, 11, 26),
        created_at=NOW,
        status=status,
    )


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
        item.withdraw()
    with pytest.raises(LotLocked):
        item.edit(title="x", description="y", category_id=2, terms=LotTerms(20_000, 1_000))
    assert item.status is status
    assert item.title == "조선 백자 달항아리"


def test_scheduled_lot_can_be_edited_and_withdrawn() -> None:
    item = lot()
    item.edit(title="새 제목", description="d", category_id=2, terms=LotTerms(20_000, 500))
    assert (item.title, item.category_id, item.terms) == ("새 제목", 2, LotTerms(20_000, 500))
    item.withdraw()
    assert item.status is LotStatus.WITHDRAWN


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
    assert LotTerms.of(MAX, MAX, max_krw=MAX) == LotTerms(MAX, MAX)
