"""Bid refusals with the stable codes of API.md (and the fields a client needs to act)."""

from __future__ import annotations

from sagopalgo.kernel.errors import Conflict, Forbidden, IdempotencyKeyReused, Rejected

__all__ = ["AlreadyLeading", "BidOverLimit", "BidTooLow", "IdempotencyKeyReused", "LotNotOpen", "OwnLot"]


class LotNotOpen(Conflict):
    """The lot is not taking bids now: not yet open, closed, or its own close time has passed."""

    code = "LOT_NOT_OPEN"


class BidTooLow(Conflict):
    code = "BID_TOO_LOW"

    def __init__(self, minimum: int) -> None:
        super().__init__(f"The lowest acceptable bid is {minimum:,} KRW.", extra={"minimumBid": minimum})


class BidOverLimit(Rejected):
    code = "BID_OVER_LIMIT"

    def __init__(self, maximum: int) -> None:
        super().__init__(f"Bids may be at most {maximum:,} KRW.", extra={"maximumBid": maximum})


class OwnLot(Forbidden):
    code = "OWN_LOT"

    def __init__(self) -> None:
        super().__init__("Sellers cannot bid on their own lots.")


class AlreadyLeading(Conflict):
    """The bidder leads already; only raising their own maximum is allowed."""

    code = "ALREADY_LEADING"

    def __init__(self) -> None:
        super().__init__("You are already the highest bidder; you may only raise your maximum.")
