"""A Redis that comes back empty (a restart without persistence, a failover to a blank node).

The gate rebuilds a lot it lost from the database (``GateMiss`` → prime); the bid log's consumer
group is gone with the stream, and the writers must recreate it rather than fail every round.
"""

import contextlib
import uuid
from dataclasses import replace

import pytest

from sagopalgo.bidding.adapters.redis import RedisBidGate, RedisBidLog
from sagopalgo.bidding.domain.gate import BidRequest, GateLot
from sagopalgo.bidding.ports import GateMiss
from sagopalgo.kernel.errors import Unavailable
from sagopalgo.platform.redis import create_redis

OPEN = 1_800_000_000_000
LOT = GateLot(
    lot_id=1,
    seller_id=9,
    start_price=10_000,
    increment=1_000,
    opens_ms=OPEN,
    closes_ms=OPEN + 32_400_000,
    hard_cap_ms=OPEN + 34_200_000,
    extended_bidding=False,
    extension_ms=180_000,
    max_krw=1_000_000_000_000,
)


def bid(bidder: int, amount: int) -> BidRequest:
    return BidRequest(bidder, amount, amount, OPEN + 1, (uuid.uuid4().hex, uuid.uuid4().hex), False)


async def test_the_bid_log_is_read_again_after_redis_lost_everything(private_redis) -> None:  # type: ignore[no-untyped-def]
    redis = create_redis(private_redis.url)
    gate, log = RedisBidGate(redis, prefix="t:"), RedisBidLog(redis, prefix="t:")
    try:
        await gate.prime(LOT, {})
        await gate.place(1, bid(1, 10_000), None)
        before = await log.read("writer", 10, 10)
        await log.ack([e.entry_id for e in before])

        private_redis.stop()
        private_redis.start()  # empty: no lot, no stream, no consumer group

        with pytest.raises(GateMiss):
            await gate.place(1, bid(2, 11_000), None)
        await gate.prime(replace(LOT, price=10_000, count=1, leader=1, leader_max=10_000, seq=1), {1: 1})
        after = await gate.place(1, bid(2, 11_000), None)
        assert await log.pending("writer", 10) == []  # the writer's first call each round
        assert await log.claim_stale("writer", 0, 10) == []
        read = await log.read("writer", 10, 10)
        assert [e.acceptance for e in read] == [after]

        private_redis.stop()
        private_redis.start()  # empty again, this time with the writer's first call its own pending
        # The pool's connection died with the server: that call is an outage the writer backs off from.
        with contextlib.suppress(Unavailable):
            await log.pending("writer", 10)
        assert await log.pending("writer", 10) == []
        state = replace(LOT, price=11_000, count=2, leader=2, leader_max=11_000, seq=2)
        await gate.prime(state, {1: 1, 2: 2})
        last = await gate.place(1, bid(1, 12_000), None)
        assert [e.acceptance for e in await log.read("writer", 10, 10)] == [last]
    finally:
        await redis.aclose()
