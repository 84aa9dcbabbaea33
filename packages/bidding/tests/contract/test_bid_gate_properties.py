"""Property: any run of bids, maximum bids, repeats and clock steps gets the same answers from the
in-process gate and the Redis gate, and no run ever pushes a lot's price backwards.

Hypothesis draws a lot (start price, increment, a ceiling that may be within reach, extended
bidding on or off) and a run against it; both gates play the run step by step from the same
requests (same instants, same bid ids), each on a fresh lot (the Redis one under a key prefix of
its own), and every answer — the acceptance with its placed bids and the lot's state, or the
refusal with its code and fields — must be equal. Invariants are checked on the way, and the bid
logs and event streams the two wrote are compared at the end. Example counts come from the
Hypothesis profile (``sagopalgo.testing.plugin``): bounded in CI, ``--hypothesis-profile=long`` for
a long run.
"""

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from sagopalgo.bidding.adapters.memory import MemoryBidGate, MemoryBidLog
from sagopalgo.bidding.adapters.redis import RedisBidGate, RedisBidLog
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot, Outcome, minimum_next
from sagopalgo.bidding.ports import BidGate, BidLog, Idempotency
from sagopalgo.kernel.errors import DomainError
from sagopalgo.realtime.adapters.memory import MemoryLotEventLog
from sagopalgo.realtime.adapters.redis import RedisLotEventLog
from sagopalgo.realtime.ports import LotEventLog

pytestmark = pytest.mark.integration

OPEN = 1_800_000_000_000
DAY_MS = 9 * 3_600_000
SELLER = 9
BIDDERS = (1, 2, 3, 1, 2, 3, SELLER)
"""Three bidders and, now and then, the seller."""
KEYS = (None, None, "k1", "k2")


# ------------------------------------------------------------------ the run
@dataclass(frozen=True)
class Bid:
    bidder: int
    amount: int
    """Increments above the lot's floor when the step runs (``relative``), or won as sent."""
    relative: bool
    headroom: int | None
    """``maxAmount - amount`` in increments; ``None`` sends no maximum."""
    key: str | None
    jitter: int = 0
    """Won added to the amount and the maximum: off the increment grid, or a maximum below the amount."""


@dataclass(frozen=True)
class Repeat:
    """Send an earlier bid again, as a double click or a retry after a lost answer would."""

    back: int
    same_body: bool


@dataclass(frozen=True)
class Wait:
    ms: int


@dataclass(frozen=True)
class Jump:
    """Move the clock to the lot's current close plus ``offset`` (never backwards)."""

    offset: int
    to_cap: bool = False


@dataclass(frozen=True)
class Freeze:
    """The day's close freezes the lot."""


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Mostly bids: a freeze or a jump past the close ends a run's interest early."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


def _bids() -> st.SearchStrategy[Bid]:
    relative = st.builds(
        Bid,
        bidder=st.sampled_from(BIDDERS),
        amount=st.integers(-2, 6),
        relative=st.just(True),
        headroom=st.one_of(st.none(), st.integers(0, 12)),
        key=st.sampled_from(KEYS),
        jitter=st.sampled_from([0, 0, 0, 0, -1, 1]),
    )
    absolute = st.builds(
        Bid,
        bidder=st.sampled_from(BIDDERS),
        amount=st.sampled_from([-1, 0, 1, 10**12, 10**12 + 1, 2**62]),
        relative=st.just(False),
        headroom=st.one_of(st.none(), st.just(0), st.just(10**12)),
        key=st.sampled_from(KEYS),
    )
    return _weighted((9, relative), (1, absolute))


_steps = _weighted(
    (20, _bids()),
    (3, st.builds(Repeat, back=st.integers(1, 6), same_body=st.booleans())),
    (3, st.builds(Wait, ms=st.integers(1, 2_000))),
    (1, st.builds(Wait, ms=st.integers(60_000, 3_600_000))),
    (1, st.builds(Jump, offset=st.integers(-240_000, 30_000))),
    (1, st.builds(Jump, offset=st.integers(-60_000, 60_000), to_cap=st.just(True))),
    (1, st.just(Freeze())),
)


@st.composite
def lots(draw: st.DrawFn) -> GateLot:
    start = draw(st.sampled_from([1, 1_000, 10_000, 999_999]))
    increment = draw(st.sampled_from([1, 500, 1_000, 50_000]))
    extension = draw(st.sampled_from([60_000, 180_000]))
    return GateLot(
        lot_id=1,
        seller_id=SELLER,
        start_price=start,
        increment=increment,
        opens_ms=OPEN,
        closes_ms=OPEN + DAY_MS,
        hard_cap_ms=OPEN + DAY_MS + draw(st.sampled_from([0, 600_000, 1_800_000])),
        extended_bidding=draw(st.booleans()),
        extension_ms=extension,
        max_krw=draw(st.sampled_from([10**12, start + 20 * increment])),
    )


# ------------------------------------------------------------------ the two gates
@dataclass
class Side:
    gate: BidGate
    log: BidLog
    events: LotEventLog


def _memory() -> Side:
    log, events = MemoryBidLog(), MemoryLotEventLog()
    return Side(MemoryBidGate(log, events), log, events)


def _redis(redis: Redis, prefix: str) -> Side:
    return Side(
        RedisBidGate(redis, prefix=prefix),
        RedisBidLog(redis, prefix=prefix),
        RedisLotEventLog(redis, prefix=prefix),
    )


Answer = Acceptance | tuple[str, str, dict[str, Any]]


async def _place(side: Side, request: BidRequest, key: Idempotency | None) -> Answer:
    try:
        return await side.gate.place(1, request, key)
    except DomainError as exc:
        return (type(exc).__name__, exc.code, exc.extra)


@dataclass
class Sent:
    request: BidRequest
    key: Idempotency | None
    answer: Answer


class Run:
    """Plays a run on both gates and holds the invariants over what the memory gate answered."""

    def __init__(self, lot: GateLot, memory: Side, redis: Side, start: int) -> None:
        self.lot, self.memory, self.redis = lot, memory, redis
        self.now = start
        self.step = 0
        self.sent: list[Sent] = []
        self.amounts: list[int] = []
        self.maxima: list[int] = []
        self.keys: dict[tuple[int, str], tuple[str, Acceptance]] = {}
        self.state = lot

    def _ids(self) -> tuple[str, str]:
        self.step += 1
        return (f"s{self.step}a", f"s{self.step}b")

    def request(self, bid: Bid) -> tuple[BidRequest, Idempotency | None]:
        increment = self.lot.increment
        amount = minimum_next(self.state) + bid.amount * increment if bid.relative else bid.amount
        amount += bid.jitter
        maximum = amount if bid.headroom is None else amount + bid.headroom * increment + bid.jitter
        request = BidRequest(bid.bidder, amount, maximum, self.now, self._ids(), bid.headroom is not None)
        key = Idempotency(bid.key, f"{amount}:{maximum}:{bid.headroom is not None}") if bid.key else None
        return request, key

    async def play(self, step: Any) -> None:
        match step:
            case Bid():
                await self.send(*self.request(step))
            case Repeat(back=back, same_body=same_body) if self.sent:
                earlier = self.sent[-min(back, len(self.sent))]
                request = replace(earlier.request, now_ms=self.now, bid_ids=self._ids())
                key = earlier.key
                if not same_body:
                    request = replace(request, amount=request.amount + 1, max_amount=request.max_amount + 1)
                    key = replace(key, fingerprint=key.fingerprint + "+1") if key else None
                await self.send(request, key)
            case Wait(ms=ms):
                self.now += ms
            case Jump(offset=offset, to_cap=to_cap):
                self.now = max(
                    self.now, (self.state.hard_cap_ms if to_cap else self.state.closes_ms) + offset
                )
            case Freeze():
                frozen = await self.memory.gate.freeze(1), await self.redis.gate.freeze(1)
                assert frozen[0] == frozen[1]
                assert frozen[0] is not None
                self.state = frozen[0]

    async def send(self, request: BidRequest, key: Idempotency | None) -> None:
        before = self.state
        mine, theirs = await _place(self.memory, request, key), await _place(self.redis, request, key)
        assert mine == theirs, (request, key)
        assert await self.memory.gate.state(1) == await self.redis.gate.state(1)
        self.sent.append(Sent(request, key, mine))
        first = self.keys.get((request.bidder, key.key)) if key else None
        if key is not None and first is not None:
            if first[0] == key.fingerprint:  # the same key and body: the first answer, nothing placed
                assert mine == first[1]
            else:
                assert not isinstance(mine, Acceptance)
                assert mine[1] == "IDEMPOTENCY_KEY_REUSED"
            assert await self.memory.gate.state(1) == before
            return
        if not isinstance(mine, Acceptance):
            assert await self.memory.gate.state(1) == before  # a refusal changes nothing
            return
        if key is not None:  # only an accepted placement holds its key
            self.keys[(request.bidder, key.key)] = (key.fingerprint, mine)
        self.accepted(before, request, mine)

    def accepted(self, before: GateLot, request: BidRequest, acceptance: Acceptance) -> None:
        after = acceptance.state
        assert before.opens_ms <= request.now_ms < before.closes_ms
        assert not before.frozen
        assert request.bidder != self.lot.seller_id
        assert after.price >= before.price  # the price never goes backwards
        assert after.closes_ms >= before.closes_ms
        assert after.closes_ms <= max(self.lot.closes_ms, self.lot.hard_cap_ms)
        assert after.count == before.count + len(acceptance.placed)
        assert after.seq == before.seq + max(1, len(acceptance.placed))
        placed = [b.amount for b in acceptance.placed]
        assert placed == sorted(set(placed))
        if self.amounts and placed:
            assert placed[0] > self.amounts[-1]  # accepted amounts strictly increase
        self.amounts.extend(placed)
        self.maxima.append(request.max_amount)
        if acceptance.outcome is Outcome.BID:
            assert placed
            assert after.price == placed[-1]
            assert placed[-1] <= self.lot.max_krw
        else:
            assert after.price == before.price
            assert after.leader == before.leader == request.bidder
        assert after.leader != self.lot.seller_id
        assert after.price <= after.leader_max == max(self.maxima)
        self.state = after

    def tell(self) -> None:
        """What the example exercised (``--hypothesis-show-statistics`` counts these)."""
        placed = len(self.amounts)
        event(
            f"bids placed: {'0' if not placed else '1-3' if placed < 4 else '4-9' if placed < 10 else '10+'}"
        )
        for sent in self.sent:
            answer = sent.answer
            if isinstance(answer, Acceptance):
                if answer.extended:
                    event("the close was extended")
                if answer.outcome is Outcome.MAX_RAISED:
                    event("a leader raised their maximum")
                if len(answer.placed) == 2:
                    event("the house bid for a maximum")
            else:
                event(f"refused: {answer[1]}")

    async def compare_what_was_written(self) -> None:
        logged = [await side.log.read("w", 10_000, 10) for side in (self.memory, self.redis)]
        assert [(e.bidder, e.max_amount, e.placed_at_ms, e.acceptance, e.aliases) for e in logged[0]] == [
            (e.bidder, e.max_amount, e.placed_at_ms, e.acceptance, e.aliases) for e in logged[1]
        ]
        assert [b.amount for e in logged[0] for b in e.acceptance.placed] == self.amounts
        streams = [await side.events.since(1, None, 100_000) for side in (self.memory, self.redis)]
        assert [(e.type, dict(e.data)) for e in streams[0]] == [(e.type, dict(e.data)) for e in streams[1]]
        shown = [e.data["amount"] for e in streams[0] if e.type == "bid"]
        assert shown == self.amounts  # what live clients saw never goes back either


# ------------------------------------------------------------------ the property
@pytest.fixture
def loop() -> Iterator[asyncio.Runner]:
    """One event loop (and so one Redis connection pool) for all of a test's examples."""
    with asyncio.Runner() as runner:
        yield runner


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lot=lots(),
    # Before the open, at it, in the day, and in the last minutes (where a bid extends the close).
    start=st.sampled_from(
        [OPEN - 1_000, OPEN, OPEN + 1, OPEN + 3_600_000]
        + [OPEN + DAY_MS - 150_000, OPEN + DAY_MS - 30_000] * 2
    ),
    steps=st.lists(_steps, min_size=10, max_size=50),
)
def test_both_gates_answer_every_run_alike_and_prices_never_go_back(
    loop: asyncio.Runner, redis_url: str, redis_prefix: str, lot: GateLot, start: int, steps: list[Any]
) -> None:
    # Every example has a prefix of its own inside the test's, which the fixture deletes after.
    prefix = f"{redis_prefix}{uuid.uuid4().hex[:8]}:"

    async def example() -> None:
        redis = Redis.from_url(redis_url)
        try:
            memory, on_redis = _memory(), _redis(redis, prefix)
            assert await memory.gate.prime(lot, {})
            assert await on_redis.gate.prime(lot, {})
            run = Run(lot, memory, on_redis, start)
            for step in steps:
                await run.play(step)
            await run.compare_what_was_written()
            run.tell()
        finally:
            await redis.aclose()

    loop.run(example())
