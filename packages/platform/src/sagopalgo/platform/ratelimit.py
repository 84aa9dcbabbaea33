"""Per-client rate limits that hold across processes: a fixed-window counter in a shared store.

Litestar's own rate-limit middleware reads, modifies and writes its history under a process-local
lock, so N API processes on one Redis let N times the limit through, and it answers without
``Retry-After``. Here the count is one atomic ``INCR`` (Redis) per hit, windows come from the clock
port, and a refusal is the kernel's ``RateLimited`` (429 + ``Retry-After``).
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

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "client_address", "rate_limit_guard"]


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


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address as the server sees it (uvicorn applies trusted X-Forwarded-For)."""
    return connection.client.host if connection.client else "unknown"


def rate_limit_guard(bucket: str, limit_setting: str, *, window_seconds: int = 60) -> Any:
    """A Litestar guard limiting each client to ``settings.<limit_setting>`` hits per window.

    The limiter and settings come from ``app.state`` so the guard is declared once at import while
    the limit stays a setting.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        state = connection.app.state
        limiter: RateLimiter = state.rate_limiter
        limit = int(getattr(state.settings, limit_setting))
        retry = await limiter.hit(
            f"{bucket}:{client_address(connection)}", limit=limit, window_seconds=window_seconds
        )
        if retry is not None:
            raise RateLimited("Too many requests; slow down.", retry_after=retry)

    guard.__name__ = f"rate_limit_{bucket}"
    return guard
