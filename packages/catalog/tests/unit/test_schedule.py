"""The auction day in Asia/Seoul, checked at the edges of the day from UTC instants."""

from datetime import UTC, date, datetime, time

import pytest

from sagopalgo.catalog.domain.schedule import AuctionWindow, DayPhase
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.kernel.errors import Invalid

WINDOW = AuctionWindow()
DAY = date(2026, 11, 25)


def kst(h: int, m: int = 0, s: int = 0, day: date = DAY) -> datetime:
    # Expressed in UTC, as a server in UTC would see it.
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=SEOUL).astimezone(UTC)


@pytest.mark.parametrize(
    ("instant", "phase"),
    [
        (kst(0, 0, 0), DayPhase.UPCOMING),
        (kst(8, 59, 59), DayPhase.UPCOMING),
        (kst(9, 0, 0), DayPhase.OPEN),
        (kst(17, 59, 59), DayPhase.OPEN),
        (kst(18, 0, 0), DayPhase.CLOSED),
        (kst(23, 59, 59), DayPhase.CLOSED),
    ],
)
def test_phase_of_the_kst_day(instant: datetime, phase: DayPhase) -> None:
    assert WINDOW.phase(instant) == (DAY, phase)


def test_just_after_midnight_kst_is_the_new_day_although_utc_is_still_yesterday() -> None:
    instant = kst(0, 30)
    assert instant.date() == date(2026, 11, 24)  # UTC
    assert WINDOW.phase(instant) == (DAY, DayPhase.UPCOMING)


def test_window_instants_are_nine_and_eighteen_kst() -> None:
    assert WINDOW.opens_at(DAY).astimezone(UTC) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert WINDOW.closes_at(DAY).astimezone(UTC) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert WINDOW.hard_cap_at(DAY).astimezone(SEOUL).time() == time(18, 30)


def test_a_day_is_listable_only_while_its_opening_is_ahead() -> None:
    assert WINDOW.check_listable(DAY, kst(8, 59, 59)) == DAY
    with pytest.raises(Invalid) as info:
        WINDOW.check_listable(DAY, kst(9, 0, 0))
    assert info.value.field == "auctionDay"
    with pytest.raises(Invalid):
        WINDOW.check_listable(date(2026, 11, 24), kst(1, 0))


def test_a_window_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="open before"):
        AuctionWindow(opens=time(18), closes=time(9))
    with pytest.raises(ValueError, match="hard cap"):
        AuctionWindow(hard_cap=time(17))
