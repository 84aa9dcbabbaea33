"""An award: the lot's winner and hammer price, fixed when bidding on the lot closes.

One per lot (the close may run twice; the second finds the award there). The winner must pay by
``pay_by``; an award still unpaid then expires and the seller may relist the lot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sagopalgo.bidding.contract import AwardStatus
from sagopalgo.kernel.errors import Conflict

__all__ = ["Award", "AwardNotPayable"]


class AwardNotPayable(Conflict):
    code = "AWARD_NOT_PAYABLE"


@dataclass(slots=True)
class Award:
    lot_id: int
    winner_id: int
    seller_id: int
    amount: int
    closed_at: datetime
    pay_by: datetime
    status: AwardStatus = AwardStatus.PAYMENT_DUE
    paid_at: datetime | None = None
    id: int | None = None

    @classmethod
    def at_close(
        cls,
        *,
        lot_id: int,
        winner_id: int,
        seller_id: int,
        amount: int,
        closed_at: datetime,
        pay_within: timedelta,
    ) -> Award:
        return cls(lot_id, winner_id, seller_id, amount, closed_at, closed_at + pay_within)

    def payable(self, now: datetime) -> None:
        """Raise unless the winner may still pay (due, and not past the deadline)."""
        if self.status is AwardStatus.PAID:
            raise AwardNotPayable("This award is paid already.", code="ALREADY_PAID")
        if self.status is AwardStatus.EXPIRED or now >= self.pay_by:
            raise AwardNotPayable("The payment deadline for this award has passed.", code="AWARD_EXPIRED")
