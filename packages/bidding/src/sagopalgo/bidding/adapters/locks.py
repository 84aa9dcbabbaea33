"""The transition lock: one runner of the day's transitions at a time, across every process.

Redis: redis-py's ``Lock`` (a token in ``SET NX PX``, released by a script that checks the token).
SQL (the embedded default, or a deployment without Redis): a lease row. Both expire, so a runner
that died frees the lock after ``ttl_s``; a transition is idempotent, so a runner that outlived
its lease and overlapped the next changes nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import LockError
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.bidding.adapters.sql.tables import locks
from sagopalgo.kernel.errors import Unavailable

__all__ = ["RedisTransitionLock", "SqlTransitionLock"]


class RedisTransitionLock:
    def __init__(self, redis: Redis, *, prefix: str, ttl_s: float = 600, wait_s: float = 120) -> None:
        self._redis, self._prefix, self._ttl, self._wait = redis, prefix, ttl_s, wait_s

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            f"{self._prefix}lock:{name}", timeout=self._ttl, blocking_timeout=self._wait, sleep=0.05
        )
        if not await lock.acquire():
            raise Unavailable(f"The {name} lock is held elsewhere; try again shortly.")
        try:
            yield
        finally:
            with contextlib.suppress(LockError):  # the lease lapsed under us: nothing of ours to free
                await lock.release()


class SqlTransitionLock:
    def __init__(self, engine: AsyncEngine, *, ttl_s: float = 600, wait_s: float = 120) -> None:
        self._engine, self._ttl_ms, self._wait = engine, int(ttl_s * 1000), wait_s

    async def _take(self, name: str, holder: str) -> bool:
        now = time.time_ns() // 1_000_000
        async with self._engine.begin() as conn:
            taken = await conn.execute(
                update(locks)
                .where(locks.c.name == name, locks.c.expires_at_ms <= now)
                .values(holder=holder, expires_at_ms=now + self._ttl_ms)
            )
            if taken.rowcount == 1:
                return True
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(locks).values(name=name, holder=holder, expires_at_ms=now + self._ttl_ms)
                )
            return True
        except IntegrityError:  # held, and not expired
            return False

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + self._wait
        while not await self._take(name, holder):
            if time.monotonic() >= deadline:
                raise Unavailable(f"The {name} lock is held elsewhere; try again shortly.")
            await asyncio.sleep(0.05)
        try:
            yield
        finally:
            async with self._engine.begin() as conn:
                await conn.execute(delete(locks).where(locks.c.name == name, locks.c.holder == holder))
