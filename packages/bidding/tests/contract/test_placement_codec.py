"""The shared placement codec: it reads what it writes, and it writes what the Lua script writes."""

import uuid

from redis.asyncio import Redis

from sagopalgo.bidding.adapters.codec import decode_placement, encode_placement, log_entry
from sagopalgo.bidding.adapters.redis import RedisBidGate, bid_log_key
from sagopalgo.bidding.domain.gate import BidRequest, GateLot, judge

OPEN, CLOSE, CAP = 1_800_000_000_000, 1_800_000_032_400_000, 1_800_000_034_200_000
LOT = GateLot(
    lot_id=4,
    seller_id=9,
    start_price=10_000,
    increment=1_000,
    opens_ms=OPEN,
    closes_ms=CLOSE,
    hard_cap_ms=CAP,
    extended_bidding=True,
    extension_ms=180_000,
    max_krw=1_000_000_000_000,
)


def bid(bidder: int, amount: int, max_amount: int | None = None, at: int = OPEN + 1) -> BidRequest:
    return BidRequest(
        bidder, amount, max_amount or amount, at, (uuid.uuid4().hex, uuid.uuid4().hex), max_amount is not None
    )


def test_a_placement_reads_back_as_written() -> None:
    first = judge(LOT, bid(1, 10_000, 900_000_000_000))
    second = judge(first.state, bid(2, 12_000, at=CLOSE - 1_000))  # a proxy bid back, and a soft close
    raised = judge(second.state, bid(1, 950_000_000_000, 950_000_000_000))  # a leader's new maximum
    for acceptance, aliases in [(first, (1,)), (second, (2, 1)), (raised, ())]:
        assert decode_placement(encode_placement(acceptance, aliases)) == (acceptance, aliases)
        assert decode_placement(encode_placement(acceptance, aliases).encode()) == (acceptance, aliases)
    entry = log_entry("7", 4, 2, 12_000, OPEN + 1, encode_placement(second, (2, 1)))
    assert (entry.entry_id, entry.acceptance, entry.aliases) == ("7", second, (2, 1))


async def test_the_encoder_writes_the_lua_scripts_bytes(redis_url: str, redis_prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        gate = RedisBidGate(redis, prefix=redis_prefix)
        await gate.prime(LOT, {})
        await gate.place(4, bid(1, 10_000, 15_000), None)
        await gate.place(4, bid(2, 12_000, at=CLOSE - 1_000), None)
        await gate.place(4, bid(1, 20_000, 25_000), None)  # the leader raises their maximum
        logged = await redis.xrange(bid_log_key(redis_prefix))
        payloads = [fields[b"j"].decode() for _, fields in logged]
        assert len(payloads) == 3
        for payload in payloads:
            assert encode_placement(*decode_placement(payload)) == payload
    finally:
        await redis.aclose()
