"""Money is integer KRW, with an explicit upper bound (the original overflowed at 2^31 - 1)."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_KRW", "INT64_MAX", "check_krw"]

INT64_MAX = 2**63 - 1
DEFAULT_MAX_KRW = 1_000_000_000_000
"""Default upper bound for any amount (one trillion won); a setting can lower or raise it."""


def check_krw(value: object, *, minimum: int = 0, maximum: int = DEFAULT_MAX_KRW) -> int:
    """Return ``value`` if it is an integer KRW amount in ``[minimum, maximum]``, else raise ValueError.

    ``bool`` is refused although it is an ``int`` subclass: ``true`` is not a price.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("amount must be an integer number of won")
    if maximum > INT64_MAX:
        raise ValueError("the upper bound must fit a signed 64-bit column")
    if value < minimum:
        raise ValueError(f"amount must be at least {minimum:,} KRW")
    if value > maximum:
        raise ValueError(f"amount must be at most {maximum:,} KRW")
    return value
