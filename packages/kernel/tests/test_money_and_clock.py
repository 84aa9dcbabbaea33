from datetime import UTC, datetime, timedelta

import pytest

from sagopalgo.kernel.clock import SEOUL, ManualClock, ensure_aware
from sagopalgo.kernel.money import DEFAULT_MAX_KRW, INT64_MAX, check_krw


@pytest.mark.parametrize("value", [0, 1, 10_000, DEFAULT_MAX_KRW])
def test_amounts_within_bounds_pass(value: int) -> None:
    assert check_krw(value) == value


@pytest.mark.parametrize("value", [-1, DEFAULT_MAX_KRW + 1, 2**63, 1.5, "1000", True, None])
def test_amounts_outside_bounds_or_not_int_fail(value: object) -> None:
    with pytest.raises(ValueError, match="amount must"):
        check_krw(value)


def test_upper_bound_must_fit_bigint() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        check_krw(1, maximum=INT64_MAX + 1)


def test_minimum_is_enforced() -> None:
    with pytest.raises(ValueError, match="at least 1,000"):
        check_krw(999, minimum=1000)


def test_manual_clock_is_utc_and_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2026, 1, 1, 9, 0, tzinfo=SEOUL))
    assert clock.now() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    clock.advance(timedelta(hours=9))
    assert clock.now().astimezone(SEOUL).hour == 18


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        ensure_aware(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        ManualClock(datetime(2026, 1, 1))
