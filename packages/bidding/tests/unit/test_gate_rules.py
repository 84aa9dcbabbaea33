"""The gate's rules: windows, floors, limits, own lots, leaders, proxy bids and soft close."""

import random
from dataclasses import replace

import pytest

from sagopalgo.bidding.domain.errors import AlreadyLeading, BidOverLimit, BidTooLow, LotNotOpen, OwnLot
from sagopalgo.bidding.domain.gate import BidRequest, GateLot, Outcome, judge, minimum_next
from sagopalgo.kernel.errors import Invalid

OPEN, CLOSE, CAP = 1_000_000, 2_000_000, 2_500_000
MIN = 60_000
LOT = GateLot(
    lot_id=1,
    seller_id=9,
    start_price=1_000,
    increment=100,
    opens_ms=OPEN,
    closes_ms=CLOSE,
    hard_cap_ms=CAP,
    extended_bidding=False,
    extension_ms=3 * MIN,
    max_krw=1_000_000,
)
_ids = iter(range(10**9))


def bid(bidder: int, amount: int, max_amount: int | None = None, at: int = OPEN + 1) -> BidRequest:
    return BidRequest(
        bidder, amount, max_amount or amount, at, (f"b{next(_ids)}", f"b{next(_ids)}"), max_amount is not None
    )


def test_the_first_bid_needs_the_start_price_and_later_ones_an_increment() -> None:
    with pytest.raises(BidTooLow) as low:
        judge(LOT, bid(1, 999))
    assert low.value.extra == {"minimumBid": 1_000}
    first = judge(LOT, bid(1, 1_000))
    assert (first.state.price, first.state.count, first.state.leader) == (1_000, 1, 1)
    with pytest.raises(BidTooLow) as equal:
        judge(first.state, bid(2, 1_000))
    assert equal.value.extra == {"minimumBid": 1_100}
    second = judge(first.state, bid(2, 1_100))
    assert [(b.bidder, b.amount) for b in second.placed] == [(2, 1_100)]
    assert minimum_next(second.state) == 1_200


@pytest.mark.parametrize("at", [OPEN - 1, CLOSE, CLOSE + 1])
def test_no_bid_outside_the_lots_own_window(at: int) -> None:
    with pytest.raises(LotNotOpen):
        judge(LOT, bid(1, 1_000, at=at))


def test_the_first_and_last_millisecond_of_the_window() -> None:
    assert judge(LOT, bid(1, 1_000, at=OPEN)).outcome is Outcome.BID
    assert judge(LOT, bid(1, 1_000, at=CLOSE - 1)).outcome is Outcome.BID


def test_a_frozen_lot_takes_no_bid() -> None:
    with pytest.raises(LotNotOpen):
        judge(replace(LOT, frozen=True), bid(1, 1_000))


def test_sellers_bid_limits_and_shapes() -> None:
    with pytest.raises(OwnLot):
        judge(LOT, bid(9, 1_000))
    with pytest.raises(BidOverLimit) as over:
        judge(LOT, bid(1, 1_000_001))
    assert over.value.extra == {"maximumBid": 1_000_000}
    with pytest.raises(BidOverLimit):
        judge(LOT, bid(1, 1_000, 2_000_000))
    with pytest.raises(Invalid):
        judge(LOT, bid(1, 2_000, 1_500))
    with pytest.raises(Invalid):
        judge(LOT, bid(1, 0))
    near_top = replace(LOT, price=999_950, count=3, leader=2, leader_max=999_950)
    with pytest.raises(BidOverLimit):
        judge(near_top, bid(1, 1_000_000))


def test_a_leader_may_only_raise_their_maximum() -> None:
    led = judge(LOT, bid(1, 1_000, 2_000)).state
    with pytest.raises(AlreadyLeading):
        judge(led, bid(1, 1_100))
    with pytest.raises(AlreadyLeading):
        judge(led, bid(1, 1_100, 2_000))
    raised = judge(led, bid(1, 1_100, 5_000))
    assert raised.outcome is Outcome.MAX_RAISED
    assert raised.placed == ()
    assert (raised.state.price, raised.state.count, raised.state.leader_max) == (1_000, 1, 5_000)
    assert raised.state.seq == led.seq + 1


def test_a_maximum_defends_its_owner_one_increment_at_a_time() -> None:
    led = judge(LOT, bid(1, 1_000, 5_000)).state
    challenged = judge(led, bid(2, 1_500))
    assert [(b.bidder, b.amount, b.proxy) for b in challenged.placed] == [(2, 1_500, False), (1, 1_600, True)]
    assert (challenged.state.leader, challenged.state.price) == (1, 1_600)
    assert not challenged.leading(2)


def test_a_higher_maximum_takes_the_lead_at_the_runner_ups_maximum_plus_one_increment() -> None:
    led = judge(LOT, bid(1, 1_000, 5_000)).state
    taken = judge(led, bid(2, 1_100, 9_000))
    assert [(b.bidder, b.amount) for b in taken.placed] == [(1, 5_000), (2, 5_100)]
    assert (taken.state.leader, taken.state.price, taken.state.leader_max) == (2, 5_100, 9_000)
    assert taken.leading(2)


def test_equal_maxima_go_to_the_earlier() -> None:
    led = judge(LOT, bid(1, 1_000, 5_000)).state
    tied = judge(led, bid(2, 1_100, 5_000))
    assert (tied.state.leader, tied.state.price) == (1, 5_000)


def test_soft_close_moves_the_close_but_never_past_the_hard_cap() -> None:
    soft = replace(LOT, extended_bidding=True)
    early = judge(soft, bid(1, 1_000, at=CLOSE - 4 * MIN))
    assert (early.extended, early.state.closes_ms) == (False, CLOSE)
    late = judge(soft, bid(1, 1_000, at=CLOSE - MIN))
    assert (late.extended, late.state.closes_ms) == (True, CLOSE + 2 * MIN)
    capped = judge(replace(soft, closes_ms=CAP - MIN), bid(1, 1_000, at=CAP - MIN - 1_000))
    assert capped.state.closes_ms == CAP
    off = judge(LOT, bid(1, 1_000, at=CLOSE - MIN))
    assert (off.extended, off.state.closes_ms) == (False, CLOSE)


def test_random_storms_keep_every_invariant() -> None:
    rng = random.Random(20261125)
    for _ in range(200):
        state, shown = LOT, []
        for _ in range(60):
            bidder = rng.randint(1, 6)
            floor = minimum_next(state)
            amount = floor + rng.choice([0, 0, 100, 700, -100])
            maximum = amount + rng.choice([0, 0, 300, 2_000, 50_000])
            try:
                result = judge(state, bid(bidder, amount, maximum))
            except (BidTooLow, AlreadyLeading, OwnLot, BidOverLimit):
                continue
            assert result.state.price >= state.price
            assert result.state.leader_max >= result.state.price
            shown.extend(b.amount for b in result.placed)
            state = result.state
        assert shown == sorted(set(shown)), "visible bids strictly increase"
        assert state.count == len(shown)
        assert state.price == (shown[-1] if shown else 0), "the price is the last visible bid"
