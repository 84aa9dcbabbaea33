"""The Redis bid gate (one Lua script per placement, called by SHA) and the bid log's consumer side."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from sagopalgo.bidding.adapters.codec import decode_placement, log_entry
from sagopalgo.bidding.domain.errors import (
    AlreadyLeading,
    BidOverLimit,
    BidTooLow,
    IdempotencyKeyReused,
    LotNotOpen,
    OwnLot,
)
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot
from sagopalgo.bidding.ports import GateMiss, Idempotency, LogEntry
from sagopalgo.kernel.errors import DomainError, Invalid, Unavailable
from sagopalgo.platform.redis import BatchedScript
from sagopalgo.realtime.contract import RETAINED_EVENTS, lot_stream_key

__all__ = ["RedisBidGate", "RedisBidLog", "bid_log_key", "dead_letter_key"]

_PLACE = (files("sagopalgo.bidding.adapters") / "place.lua").read_text()
_PRIME = (files("sagopalgo.bidding.adapters") / "prime.lua").read_text()
GROUP = "bid-writers"
_DEAD_KEPT = 100_000
_log = logging.getLogger("sagopalgo.bidding")


def bid_log_key(prefix: str) -> str:
    return f"{prefix}bid:log"


def dead_letter_key(prefix: str) -> str:
    """Where poison bid-log entries are moved aside (``RedisBidLog.dead_letter``)."""
    return f"{prefix}bid:log:dead"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _refusal(code: str, value: Any) -> DomainError:
    match code:
        case "LOT_NOT_OPEN":
            return LotNotOpen("Bidding on this lot is not open.")
        case "OWN_LOT":
            return OwnLot()
        case "INVALID_AMOUNT":
            return Invalid("amount must be a positive number of won.", field="amount")
        case "INVALID_MAX":
            return Invalid("maxAmount must be at least amount.", field="maxAmount")
        case "BID_OVER_LIMIT":
            return BidOverLimit(int(value))
        case "BID_TOO_LOW":
            return BidTooLow(int(value))
        case "ALREADY_LEADING":
            return AlreadyLeading()
        case "IDEMPOTENCY_KEY_REUSED":
            return IdempotencyKeyReused()
    raise RuntimeError(f"unknown bid gate answer {code!r}")


def _state(lot_id: int, fields: dict[Any, Any]) -> GateLot | None:
    if not fields:
        return None
    v = {_text(k): int(_text(x)) for k, x in fields.items()}
    return GateLot(
        lot_id=lot_id,
        seller_id=v["seller"],
        start_price=v["start"],
        increment=v["inc"],
        opens_ms=v["opens"],
        closes_ms=v["closes"],
        hard_cap_ms=v["cap"],
        extended_bidding=bool(v["ext"]),
        extension_ms=v["ext_ms"],
        max_krw=v["max_krw"],
        frozen=bool(v["frozen"]),
        price=v["price"],
        count=v["count"],
        leader=v["leader"],
        leader_max=v["leader_max"],
        seq=v["seq"],
    )


class RedisBidGate:
    """State per lot in a hash; no key has a TTL, so correctness never rests on expiry."""

    def __init__(self, redis: Redis, *, prefix: str, idempotency_ttl_s: int = 86_400) -> None:
        self._redis, self._prefix, self._ttl = redis, prefix, idempotency_ttl_s
        self._place = BatchedScript(redis, _PLACE)
        self._prime = redis.register_script(_PRIME)

    def _lot(self, lot_id: int) -> str:
        return f"{self._prefix}bid:lot:{lot_id}"

    def _aliases(self, lot_id: int) -> str:
        return f"{self._prefix}bid:aliases:{lot_id}"

    async def prime(self, lot: GateLot, aliases: dict[int, int]) -> bool:
        fields = {
            "seller": lot.seller_id,
            "start": lot.start_price,
            "inc": lot.increment,
            "opens": lot.opens_ms,
            "closes": lot.closes_ms,
            "cap": lot.hard_cap_ms,
            "ext": int(lot.extended_bidding),
            "ext_ms": lot.extension_ms,
            "max_krw": lot.max_krw,
            "frozen": int(lot.frozen),
            "price": lot.price,
            "count": lot.count,
            "leader": lot.leader,
            "leader_max": lot.leader_max,
            "seq": lot.seq,
        }
        args: list[Any] = [x for pair in fields.items() for x in pair]
        args.append("|")
        args.extend(x for pair in aliases.items() for x in pair)
        return bool(await self._prime(keys=[self._lot(lot.lot_id), self._aliases(lot.lot_id)], args=args))

    async def state(self, lot_id: int) -> GateLot | None:
        return _state(lot_id, await self._redis.hgetall(self._lot(lot_id)))

    async def freeze(self, lot_id: int) -> GateLot | None:
        key = self._lot(lot_id)
        if await self._redis.exists(key):
            await self._redis.hset(key, "frozen", 1)
        return await self.state(lot_id)

    async def forget(self, lot_id: int) -> None:
        """Lose the lot's state, as a Redis restart or eviction would (for tests of the rebuild)."""
        await self._redis.delete(self._lot(lot_id), self._aliases(lot_id))

    async def place(self, lot_id: int, bid: BidRequest, idempotency: Idempotency | None) -> Acceptance:
        idem_key = (
            f"{self._prefix}bid:idem:{lot_id}:{bid.bidder}:{idempotency.key}"
            if idempotency
            else f"{self._prefix}bid:idem:none"
        )
        answer = await self._place(
            keys=[
                self._lot(lot_id),
                idem_key,
                bid_log_key(self._prefix),
                lot_stream_key(self._prefix, lot_id),
                self._aliases(lot_id),
            ],
            args=[
                bid.now_ms,
                bid.bidder,
                bid.amount,
                bid.max_amount,
                bid.bid_ids[0],
                bid.bid_ids[1],
                idempotency.fingerprint if idempotency else "",
                self._ttl,
                RETAINED_EVENTS,
                lot_id,
                "1" if bid.names_max else "0",
            ],
        )
        kind = _text(answer[0])
        if kind in ("ok", "replay"):
            return decode_placement(answer[1])[0]
        if kind == "missing":
            raise GateMiss(lot_id)
        raise _refusal(_text(answer[1]), answer[2] if len(answer) > 2 else None)


class RedisBidLog:
    """Reads the bid log stream through a consumer group; acknowledged entries are deleted.

    A Redis that comes back empty (restarted without its data, or a failover to a node that never
    had it) has lost the group with the stream. Reads then fail with NOGROUP; the group is created
    again, from the stream's start, so whatever bids the gate took since are all written. Without
    this every writer failed each round for ever, and no bid reached the database again.

    Poison entries go to the dead-letter stream ``PREFIX bid:log:dead`` (``dead_letter_key``): the
    entry's own fields plus ``entry`` (its id in the log) and ``reason``, added, acknowledged and
    deleted from the log in one transaction. An operator replays one by ``XADD``-ing its fields back
    to the log. An entry that cannot be decoded goes there as soon as it is read.
    """

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis, self._key, self._dead = redis, bid_log_key(prefix), dead_letter_key(prefix)
        self._ready = False
        self.dead_lettered = 0

    async def _group(self) -> None:
        if self._ready:
            return
        try:
            await self._redis.xgroup_create(self._key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    async def _grouped(self, call: Callable[[], Awaitable[Any]]) -> Any:
        with _unavailable():
            await self._group()
            try:
                return await call()
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
            self._ready = False
            await self._group()
            return await call()

    async def _entries(self, raw: Sequence[Any]) -> list[LogEntry]:
        out, gone = [], []
        for raw_id, fields in raw:
            entry_id = _text(raw_id)
            if not fields:  # deleted while pending (nothing else deletes an unacknowledged entry)
                gone.append(entry_id)
                continue
            f = {_text(k): v for k, v in fields.items()}
            try:
                entry = log_entry(
                    entry_id,
                    int(_text(f["lot"])),
                    int(_text(f["b"])),
                    int(_text(f["m"])),
                    int(_text(f["t"])),
                    f["j"],
                )
            except Exception as exc:  # whatever the payload is, it is not a placement
                await self._bury(entry_id, f, f"undecodable: {type(exc).__name__}: {exc}")
                continue
            out.append(entry)
        if gone:
            with _unavailable():
                await self._redis.xack(self._key, GROUP, *gone)
        return out

    async def read(self, consumer: str, count: int, block_ms: int) -> list[LogEntry]:
        # BLOCK 0 would wait for ever: not blocking at all is no BLOCK.
        block = block_ms if block_ms > 0 else None
        answer: Any = await self._grouped(
            lambda: self._redis.xreadgroup(GROUP, consumer, {self._key: ">"}, count=count, block=block)
        )
        return await self._entries(answer[0][1]) if answer else []

    async def pending(self, consumer: str, count: int) -> list[LogEntry]:
        # Id 0 reads this consumer's own pending entries rather than new ones.
        answer: Any = await self._grouped(
            lambda: self._redis.xreadgroup(GROUP, consumer, {self._key: "0"}, count=count)
        )
        return await self._entries(answer[0][1]) if answer else []

    async def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[LogEntry]:
        answer: Any = await self._grouped(
            lambda: self._redis.xautoclaim(self._key, GROUP, consumer, min_idle_ms, "0-0", count=count)
        )
        return await self._entries(answer[1])

    async def ack(self, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            with _unavailable():
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.xack(self._key, GROUP, *entry_ids)
                    pipe.xdel(self._key, *entry_ids)
                    await pipe.execute()

    async def dead_letter(self, entry: LogEntry, reason: str) -> None:
        with _unavailable():
            raw: Any = await self._redis.xrange(self._key, entry.entry_id, entry.entry_id)
        fields = {_text(k): v for k, v in raw[0][1].items()} if raw else {"lot": str(entry.lot_id)}
        await self._bury(entry.entry_id, fields, reason)

    async def _bury(self, entry_id: str, fields: dict[str, Any], reason: str) -> None:
        with _unavailable():
            async with self._redis.pipeline(transaction=True) as pipe:
                dead: dict[Any, Any] = {**fields, "entry": entry_id, "reason": reason[:500]}
                pipe.xadd(self._dead, dead, maxlen=_DEAD_KEPT)
                pipe.xack(self._key, GROUP, entry_id)
                pipe.xdel(self._key, entry_id)
                await pipe.execute()
        self.dead_lettered += 1
        _log.error("bid-log entry %s moved to %s: %s", entry_id, self._dead, reason)


@contextmanager
def _unavailable() -> Iterator[None]:
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise Unavailable(f"Redis (the bid log) is unavailable: {type(exc).__name__}.") from exc
