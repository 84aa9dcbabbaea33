"""Stored first answers for ``Idempotency-Key`` requests, in process or in Redis.

A client that lost the answer to a create or a payment repeats the request with the same key and
gets the first answer back instead of a second lot or a second charge. The store holds, per
(caller, key), either a claim ("running", so a concurrent repeat is told to wait rather than run
twice) or the finished response. Only successful responses are kept: a refused request changed no
state, so running its repeat again is safe and gives a current answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import msgspec
from redis.asyncio import Redis

__all__ = [
    "Claimed",
    "IdempotencyStore",
    "InUse",
    "MemoryIdempotencyStore",
    "Mismatch",
    "RedisIdempotencyStore",
    "StoredResponse",
]


class StoredResponse(msgspec.Struct, frozen=True):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class _Record(msgspec.Struct, frozen=True):
    fingerprint: str
    response: StoredResponse | None = None
    """``None`` while the first request is still running."""


class Claimed(msgspec.Struct, frozen=True):
    """The key is this request's now: run it, then ``complete`` or ``release``."""


class InUse(msgspec.Struct, frozen=True):
    """The first request with the key is still running."""


class Mismatch(msgspec.Struct, frozen=True):
    """The key was used with another request."""


Outcome = Claimed | InUse | Mismatch | StoredResponse


class IdempotencyStore(Protocol):
    async def claim(self, key: str, fingerprint: str, *, running_ttl_s: int) -> Outcome:
        """Atomically: the stored response, a refusal, or the key for this request.

        A claim lapses after ``running_ttl_s`` so a process that died mid-request frees its key.
        """
        ...

    async def complete(self, key: str, fingerprint: str, response: StoredResponse, *, ttl_s: int) -> None: ...

    async def release(self, key: str, fingerprint: str) -> None:
        """Drop this request's claim (it failed or was refused): a repeat runs afresh."""
        ...


def _judge(record: _Record, fingerprint: str) -> Outcome:
    if record.fingerprint != fingerprint:
        return Mismatch()
    return record.response if record.response is not None else InUse()


class MemoryIdempotencyStore:
    """One process's store (embedded default); entries expire on the monotonic clock, bounded."""

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self._records: dict[str, tuple[float, _Record]] = {}
        self._max = max_entries
        self._lock = asyncio.Lock()

    async def claim(self, key: str, fingerprint: str, *, running_ttl_s: int) -> Outcome:
        async with self._lock:
            now = time.monotonic()
            found = self._records.get(key)
            if found is not None and found[0] > now:
                return _judge(found[1], fingerprint)
            if len(self._records) >= self._max:
                self._records = {k: v for k, v in self._records.items() if v[0] > now}
            self._records[key] = (now + running_ttl_s, _Record(fingerprint))
            return Claimed()

    async def complete(self, key: str, fingerprint: str, response: StoredResponse, *, ttl_s: int) -> None:
        async with self._lock:
            self._records[key] = (time.monotonic() + ttl_s, _Record(fingerprint, response))

    async def release(self, key: str, fingerprint: str) -> None:
        async with self._lock:
            found = self._records.get(key)
            if found is not None and found[1] == _Record(fingerprint):
                del self._records[key]


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(_Record).decode

# Release only our own claim: a lapsed claim may have been taken over by a later request.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisIdempotencyStore:
    """Shared by every API process: a claim is one ``SET NX``, so two processes never both run."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis, self._prefix = redis, prefix
        self._release = redis.register_script(_RELEASE)

    def _key(self, key: str) -> str:
        return f"{self._prefix}idem:{key}"

    async def claim(self, key: str, fingerprint: str, *, running_ttl_s: int) -> Outcome:
        name = self._key(key)
        for _ in range(3):  # the holder may expire between our SET and GET; then claim again
            if await self._redis.set(name, _encode(_Record(fingerprint)), nx=True, ex=running_ttl_s):
                return Claimed()
            raw = await self._redis.get(name)
            if isinstance(raw, bytes):  # the client never decodes responses
                return _judge(_decode(raw), fingerprint)
        return InUse()

    async def complete(self, key: str, fingerprint: str, response: StoredResponse, *, ttl_s: int) -> None:
        await self._redis.set(self._key(key), _encode(_Record(fingerprint, response)), ex=ttl_s)

    async def release(self, key: str, fingerprint: str) -> None:
        await self._release(keys=[self._key(key)], args=[_encode(_Record(fingerprint))])
