"""The Redis bid gate (one Lua script per placement, called by SHA) and the bid log's consumer side."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from importlib.resources import files
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

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
from sagopalgo.kernel.errors import DomainError, Invalid
from sagopalgo.platform.redis import BatchedScript
from sagopalgo.realtime.contract import RETAINED_EVENTS, lot_stream_key

__all__ = ["RedisBidGate", "RedisBidLog", "bid_log_key"]

_PLACE = (files("sagopalgo.bidding.adapters") / "place.lua").read_text()
_PRIME = (files("sagopalgo.bidding.adapters") / "prime.lua").read_text()
GROUP = "bid-writers"


def bid_log_key(prefix: str) -> str:
    return f"{prefix}bid:log"


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
    """

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis, self._key = redis, bid_log_key(prefix)
        self._ready = False

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
        await self._group()
        try:
            return await call()
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
        self._ready = False
        await self._group()
        return await call()

    @staticmethod
    def _entries(raw: Sequence[Any]) -> list[LogEntry]:
        out = []
        for entry_id, fields in raw:
            if not fields:  # deleted while pending
                continue
            f = {_text(k): v for k, v in fields.items()}
            out.append(
                log_entry(
                    _text(entry_id),
                    int(_text(f["lot"])),
                    int(_text(f["b"])),
                    int(_text(f["m"])),
                    int(_text(f["t"])),
                    f["j"],
                )
            )
        return out

    async def read(self, consumer: str, count: int, block_ms: int) -> list[LogEntry]:
        answer: Any = await self._grouped(
            lambda: self._redis.xreadgroup(GROUP, consumer, {self._key: ">"}, count=count, block=block_ms)
        )
        return self._entries(answer[0][1]) if answer else []

    async def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[LogEntry]:
        answer: Any = await self._grouped(
            lambda: self._redis.xautoclaim(self._key, GROUP, consumer, min_idle_ms, "0-0", count=count)
        )
        return self._entries(answer[1])

    async def ack(self, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xack(self._key, GROUP, *entry_ids)
                pipe.xdel(self._key, *entry_ids)
                await pipe.execute()
