"""Per-client rate limits that hold across processes: a fixed-window counter in a shared store.

Litestar's own rate-limit middleware reads, modifies and writes its history under a process-local
lock, so N API processes on one Redis let N times the limit through, and it answers without
``Retry-After``. Here the count is one atomic ``INCR`` (Redis) per hit, windows come from the clock
port, and a refusal is the kernel's ``RateLimited`` (429 + ``Retry-After``).

Hot paths (bids) use ``ReservingRateLimiter`` instead: a process takes a slice of a key's window
from Redis at a time and spends it locally, so most hits cost no round trip; grants never exceed the
limit, so N processes admit at most ``limit`` per window between them (a slice one process took and
did not spend is the only cost: the others may refuse up to ``slice - 1`` hits early each).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Protocol

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from redis.asyncio import Redis

from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.errors import RateLimited

__all__ = [
    "ConcurrencyLimiter",
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "ReservingRateLimiter",
    "check_rate",
    "client_address",
    "rate_limit_guard",
    "slice_for",
]


class RateLimiter(Protocol):
    """Counts hits per key in fixed windows; atomic per hit so concurrent processes share one budget."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Record one hit; return ``None`` if within ``limit``, else the seconds until the window ends."""
        ...


def _window(clock: Clock, window_seconds: int) -> tuple[int, int]:
    ts = clock.now().timestamp()
    index = int(ts // window_seconds)
    return index, max(1, math.ceil((index + 1) * window_seconds - ts))


class MemoryRateLimiter:
    """In-process limiter for the embedded default (one process, so a dict is the whole truth)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        index, retry = _window(self._clock, window_seconds)
        async with self._lock:
            seen_index, count = self._counts.get(key, (index, 0))
            count = count + 1 if seen_index == index else 1
            self._counts[key] = (index, count)
            if len(self._counts) > 100_000:  # bounded memory: forget closed windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == index}
        return None if count <= limit else retry


_INCR_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisRateLimiter:
    """Redis limiter: INCR and EXPIRE in one script, keyed by window index, shared by all processes."""

    def __init__(self, redis: Redis, clock: Clock, *, prefix: str) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = prefix
        self._script = redis.register_script(_INCR_SCRIPT)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        index, retry = _window(self._clock, window_seconds)
        count = int(await self._script(keys=[f"{self._prefix}rl:{key}:{index}"], args=[window_seconds + 1]))
        return None if count <= limit else retry


_RESERVE_SCRIPT = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if grant <= 0 then return 0 end
redis.call('INCRBY', KEYS[1], grant)
if used == 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return grant
"""


def slice_for(limit: int) -> int:
    """Hits a process reserves at a time: a tenth of the limit, between 1 and 100.

    A tenth keeps the round trips to one per ten hits of a busy key, and what one process may hold
    unspent small next to the limit (at the bid default of 60: 6, so at most 5 stranded per process).
    """
    return max(1, min(100, -(-limit // 10)))


class ReservingRateLimiter:
    """A Redis limiter for hot paths: reserve a slice of a key's window, spend it without Redis.

    Redis grants at most ``limit - used`` per window in one script, so all processes together never
    admit more than ``limit`` in a window (no over-admission). What a process reserved and did not
    spend in that window is lost, so with a key's hits spread over ``k`` processes it may be refused
    after as few as ``limit - (k - 1) * (slice_for(limit) - 1)`` hits. Once Redis has granted the
    whole window, the process refuses the key locally until the window ends: a client hammering
    past its limit costs no round trips either.
    """

    def __init__(self, redis: Redis, clock: Clock, *, prefix: str) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = prefix
        self._script = redis.register_script(_RESERVE_SCRIPT)
        self._held: dict[str, tuple[int, int]] = {}
        """key -> (window index, hits reserved and unspent; -1 once Redis has no more to grant)."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        index, retry = _window(self._clock, window_seconds)
        seen, left = self._held.get(key, (index, 0))
        if seen != index:
            left = 0
        if left > 0:
            self._held[key] = (index, left - 1)
            return None
        if left < 0:
            return retry
        granted = int(
            await self._script(
                keys=[f"{self._prefix}rl:{key}:{index}"], args=[slice_for(limit), limit, window_seconds + 1]
            )
        )
        # Other hits of this key may have reserved meanwhile (the await): add to what they left.
        seen, left = self._held.get(key, (index, 0))
        left = max(left, 0) if seen == index else 0
        if len(self._held) > 100_000:  # bounded memory: forget closed windows
            self._held = {k: v for k, v in self._held.items() if v[0] == index}
        if granted <= 0:
            self._held[key] = (index, left - 1 if left > 0 else -1)
            return None if left > 0 else retry
        self._held[key] = (index, left + granted - 1)
        return None


class ConcurrencyLimiter:
    """How many of something (open event streams) each key holds at once in this process."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def acquire(self, key: str, cap: int) -> bool:
        """Take one for ``key`` unless it already holds ``cap`` (0: no cap); release it afterwards."""
        held = self._open.get(key, 0)
        if cap and held >= cap:
            return False
        self._open[key] = held + 1
        return True

    def release(self, key: str) -> None:
        held = self._open.get(key, 0) - 1
        if held > 0:
            self._open[key] = held
        else:
            self._open.pop(key, None)

    def held(self, key: str) -> int:
        return self._open.get(key, 0)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address as the server sees it (uvicorn applies trusted X-Forwarded-For)."""
    return connection.client.host if connection.client else "unknown"


async def check_rate(limiter: RateLimiter, key: str, limit: int, *, window_seconds: int = 60) -> None:
    """One hit on ``key``; ``RateLimited`` (429 + ``Retry-After``) past ``limit`` (0: no limit)."""
    if limit <= 0:
        return
    retry = await limiter.hit(key, limit=limit, window_seconds=window_seconds)
    if retry is not None:
        raise RateLimited("Too many requests; slow down.", retry_after=retry)


def rate_limit_guard(bucket: str, limit_setting: str, *, window_seconds: int = 60) -> Any:
    """A Litestar guard limiting each client address to ``settings.<limit_setting>`` hits per window.

    The limiter and settings come from ``app.state`` so the guard is declared once at import while
    the limit stays a setting. A guard runs before the body is read.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        state = connection.app.state
        limit = int(getattr(state.settings, limit_setting))
        key = f"{bucket}:{client_address(connection)}"
        await check_rate(state.rate_limiter, key, limit, window_seconds=window_seconds)

    guard.__name__ = f"rate_limit_{bucket}"
    return guard
