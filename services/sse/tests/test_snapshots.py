"""The SSE service's snapshot frames (one computation per (lot, position) for all who ask at once)
and its heartbeat."""

import asyncio

import httpx
import pytest
from httpx_sse import EventSource

from sagopalgo.kernel.errors import NotFound
from sagopalgo.sse.streams import KEEP_ALIVE, Snapshots


async def test_connections_at_one_position_share_one_snapshot() -> None:
    snapshots, built = Snapshots(ttl_s=60), []

    def builder(tag: str):  # type: ignore[no-untyped-def]
        async def build() -> bytes:
            built.append(tag)
            await asyncio.sleep(0.01)
            return tag.encode()

        return build

    frames = await asyncio.gather(*(snapshots.frame((1, "5-0"), builder("a")) for _ in range(100)))
    assert frames == [b"a"] * 100
    assert built == ["a"]
    assert await snapshots.frame((1, "6-0"), builder("b")) == b"b"  # a new event: a new snapshot
    assert await snapshots.frame((2, "5-0"), builder("c")) == b"c"  # another lot
    assert built == ["a", "b", "c"]


async def test_a_failed_snapshot_is_not_kept_and_an_expired_one_is_rebuilt() -> None:
    snapshots, calls = Snapshots(ttl_s=0), 0

    async def missing() -> bytes:
        nonlocal calls
        calls += 1
        raise NotFound("No such lot.")

    for _ in range(2):
        with pytest.raises(NotFound):
            await snapshots.frame((9, ""), missing)
    assert calls == 2

    async def fine() -> bytes:
        nonlocal calls
        calls += 1
        return b"ok"

    assert [await snapshots.frame((9, ""), fine) for _ in range(2)] == [b"ok", b"ok"]
    assert calls == 4  # a zero TTL keeps nothing


def test_a_heartbeat_is_a_comment_that_no_client_sees_as_an_event() -> None:
    """Litestar's comment message carried an empty ``data:`` line: a ``message`` event per beat."""
    beat = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=KEEP_ALIVE * 3)
    assert list(EventSource(beat).iter_sse()) == []
