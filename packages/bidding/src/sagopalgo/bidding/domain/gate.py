"""The bid gate's rules, as one pure function over a lot's state.

The Redis adapter runs the same rules in one Lua script; the in-process adapter calls ``judge``
under a per-lot lock. A differential test feeds both the same random bids and compares every
outcome, so the two can never drift apart.

Times are integer milliseconds since the epoch so both implementations compare the same numbers.
Proxy bidding follows the usual auction-house rule: the visible price is the lowest that keeps the
leader ahead (the runner-up's maximum plus one increment, capped at the leader's maximum); of two
equal maxima the earlier wins; accepted visible amounts strictly increase.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from sagopalgo.bidding.domain.errors import AlreadyLeading, BidOverLimit, BidTooLow, LotNotOpen, OwnLot
from sagopalgo.kernel.errors import Invalid

__all__ = ["Acceptance", "BidRequest", "GateLot", "Outcome", "PlacedBid", "judge", "minimum_next"]


@dataclass(frozen=True, slots=True)
class GateLot:
    """What the gate knows of one lot. ``price == 0`` and ``leader == 0`` mean no bid yet."""

    lot_id: int
    seller_id: int
    start_price: int
    increment: int
    opens_ms: int
    closes_ms: int
    hard_cap_ms: int
    extended_bidding: bool
    extension_ms: int
    max_krw: int
    frozen: bool = False
    price: int = 0
    count: int = 0
    leader: int = 0
    leader_max: int = 0
    seq: int = 0
    """Entries this lot has appended to the bid log (visible bids and maximum raises)."""


@dataclass(frozen=True, slots=True)
class BidRequest:
    bidder: int
    amount: int
    max_amount: int
    now_ms: int
    bid_ids: tuple[str, str]
    """Two fresh unique ids: a placement shows at most two bids (the house's and the bidder's)."""
    names_max: bool = False
    """The bidder named a maximum (``maxAmount``); only then may a leader's request raise it."""


@dataclass(frozen=True, slots=True)
class PlacedBid:
    bid_id: str
    bidder: int
    amount: int
    seq: int
    proxy: bool
    """Placed by the house for a maximum rather than typed by the bidder."""


class Outcome(enum.StrEnum):
    BID = "BID"
    MAX_RAISED = "MAX_RAISED"


@dataclass(frozen=True, slots=True)
class Acceptance:
    outcome: Outcome
    placed: tuple[PlacedBid, ...]
    state: GateLot
    """The lot after this placement (what the log entry records, so the gate can be rebuilt)."""
    extended: bool

    def leading(self, bidder: int) -> bool:
        return self.state.leader == bidder


def minimum_next(state: GateLot) -> int:
    return state.start_price if state.count == 0 else state.price + state.increment


def judge(state: GateLot, bid: BidRequest) -> Acceptance:
    """Accept ``bid`` against ``state`` (returning the new state) or raise the refusal."""
    if state.frozen or not state.opens_ms <= bid.now_ms < state.closes_ms:
        raise LotNotOpen("Bidding on this lot is not open.")
    if bid.bidder == state.seller_id:
        raise OwnLot()
    if bid.amount < 1:
        raise Invalid("amount must be a positive number of won.", field="amount")
    if bid.max_amount < bid.amount:
        raise Invalid("maxAmount must be at least amount.", field="maxAmount")
    if bid.amount > state.max_krw or bid.max_amount > state.max_krw:
        raise BidOverLimit(state.max_krw)

    if bid.bidder == state.leader:
        if not bid.names_max or bid.max_amount <= state.leader_max:
            raise AlreadyLeading()
        seq = state.seq + 1
        raised = replace(state, leader_max=bid.max_amount, seq=seq)
        return Acceptance(Outcome.MAX_RAISED, (), raised, extended=False)

    floor = minimum_next(state)
    if floor > state.max_krw:
        raise BidOverLimit(state.max_krw)
    if bid.amount < floor:
        raise BidTooLow(floor)

    placed: list[tuple[int, int, bool]] = []  # (bidder, amount, proxy)
    if state.count == 0:
        placed.append((bid.bidder, bid.amount, False))
        leader, leader_max, price = bid.bidder, bid.max_amount, bid.amount
    elif bid.max_amount > state.leader_max:
        if state.leader_max > state.price:  # the house had room to bid for the old leader
            placed.append((state.leader, state.leader_max, True))
        price = max(bid.amount, min(bid.max_amount, state.leader_max + state.increment))
        placed.append((bid.bidder, price, bid.max_amount > bid.amount))
        leader, leader_max = bid.bidder, bid.max_amount
    else:
        placed.append((bid.bidder, bid.max_amount, bid.max_amount > bid.amount))
        price = bid.max_amount
        if state.leader_max > bid.max_amount:
            price = min(state.leader_max, bid.max_amount + state.increment)
            placed.append((state.leader, price, True))
        leader, leader_max = state.leader, state.leader_max

    bids = tuple(
        PlacedBid(bid.bid_ids[i], who, amount, state.seq + 1 + i, proxy)
        for i, (who, amount, proxy) in enumerate(placed)
    )
    closes_ms, extended = state.closes_ms, False
    if state.extended_bidding and state.closes_ms - bid.now_ms < state.extension_ms:
        moved = min(bid.now_ms + state.extension_ms, state.hard_cap_ms)
        if moved > closes_ms:
            closes_ms, extended = moved, True
    after = replace(
        state,
        price=price,
        count=state.count + len(bids),
        leader=leader,
        leader_max=leader_max,
        seq=state.seq + len(bids),
        closes_ms=closes_ms,
    )
    return Acceptance(Outcome.BID, bids, after, extended)
