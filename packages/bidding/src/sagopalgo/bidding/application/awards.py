"""Awards as their winners and the payment context see them."""

from __future__ import annotations

from collections.abc import Callable

from sagopalgo.bidding.contract import AwardStatus, AwardView
from sagopalgo.bidding.domain.award import Award, AwardNotPayable
from sagopalgo.bidding.ports import BiddingUnitOfWork, DayLots, LotTitles
from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.errors import Forbidden, NotFound
from sagopalgo.kernel.identity import Principal
from sagopalgo.kernel.paging import Page, PageRequest

__all__ = ["AwardsService", "award_view"]


def award_view(award: Award) -> AwardView:
    if award.id is None:
        raise ValueError("an unsaved award has no view")
    return AwardView(
        award.id,
        award.lot_id,
        award.winner_id,
        award.seller_id,
        award.amount,
        award.closed_at,
        award.pay_by,
        award.status,
        award.paid_at,
    )


class AwardsService:
    def __init__(
        self, *, uow: Callable[[], BiddingUnitOfWork], lots: DayLots, titles: LotTitles, clock: Clock
    ) -> None:
        self._uow, self._lots, self._titles, self._clock = uow, lots, titles, clock

    async def my_awards(self, actor: Principal, page: PageRequest) -> Page[tuple[AwardView, str]]:
        """The caller's awards, newest first, each with its lot's title."""
        async with self._uow() as uow:
            found = await uow.awards.of_winner(actor.user_id, page)
        titles = await self._titles.titles([a.lot_id for a in found.items])
        items = [(award_view(a), titles.get(a.lot_id, "")) for a in found.items]
        return Page(items, found.page, found.size, found.total)

    async def award_for_winner(self, actor: Principal, award_id: int) -> AwardView:
        """The award, if the caller won it (anyone else: 403; unknown: 404)."""
        async with self._uow() as uow:
            award = await uow.awards.get(award_id)
        if award is None:
            raise NotFound("No such award.")
        if award.winner_id != actor.user_id:
            raise Forbidden("Only the winner may pay for this award.")
        return award_view(award)

    async def mark_paid(self, award_id: int) -> AwardView:
        """The payment was confirmed: the award and its lot are paid (idempotent).

        Raises ``AwardNotPayable`` (``AWARD_EXPIRED``) if the award lapsed first: the payer must
        then be refunded, since the lot may already be relisted.
        """
        saved = True
        async with self._uow() as uow:
            award = await uow.awards.get(award_id)
            if award is None:
                raise NotFound("No such award.")
            if award.status is AwardStatus.PAYMENT_DUE:
                award.status, award.paid_at = AwardStatus.PAID, self._clock.now()
                saved = await uow.awards.save(award)
                await uow.commit()
        if not saved:  # a racing payment or expiry settled it first: read what won
            async with self._uow() as uow:
                award = await uow.awards.get(award_id) or award
        if award.status is AwardStatus.EXPIRED:
            raise AwardNotPayable("The payment deadline for this award has passed.", code="AWARD_EXPIRED")
        await self._lots.paid(award.lot_id)
        return award_view(award)
