"""The lot event log's contract (in process and Redis streams), and the hub's fan-out over both."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from sagopalgo.realtime.adapters.memory import MemoryLotEventLog
from sagopalgo.realtime.adapters.redis import RedisLotEventLog
from sagopalgo.realtime.application.hub import Dropped, LotEventHub
from sagopalgo.realtime.contract import LotEvent, event_order
from sagopalgo.realtime.ports import LotEventLog


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def log(request: pytest.FixtureRequest) -> AsyncIterator[LotEventLog]:
    if request.param == "memory":
        yield MemoryLotEventLog()
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield RedisLotEventLog(redis, prefix=request.getfixturevalue("redis_prefix"))
    finally:
        await redis.aclose()


def _same(event: LotEvent) -> LotEvent:
    return event


async def test_ids_increase_per_lot_and_reads_slice_by_id(log: LotEventLog) -> None:
    assert await log.last_id(1) is None
    ids = [await log.publish(1, "bid", {"amount": n}) for n in (10, 20, 30)]
    await log.publish(2, "bid", {"amount": 99})
    assert [event_order(i) for i in ids] == sorted(event_order(i) for i in ids)
    assert await log.last_id(1) == ids[-1]
    assert [e.data["amount"] for e in await log.since(1, None, 10)] == [10, 20, 30]
    assert [e.data["amount"] for e in await log.since(1, ids[0], 10)] == [20, 30]
    assert [e.data["amount"] for e in await log.until(1, ids[1], 10)] == [20, 10]
    assert {e.type for e in await log.since(1, None, 10)} == {"bid"}


async def test_wait_returns_what_arrives_on_any_followed_lot(log: LotEventLog) -> None:
    first = await log.publish(1, "bid", {"amount": 1})
    assert await log.wait({1: first, 2: "0-0"}, 50) == []

    async def later() -> None:
        await asyncio.sleep(0.05)
        await log.publish(2, "status", {"status": "OPEN"})

    task = asyncio.create_task(later())
    got = await log.wait({1: first, 2: "0-0"}, 2_000)
    await task
    assert [(e.lot_id, e.type) for e in got] == [(2, "status")]


async def test_the_hub_delivers_each_event_once_in_order_and_replays_on_reconnect(log: LotEventLog) -> None:
    hub = LotEventHub(log, _same, block_ms=50)
    try:
        a = await hub.subscribe(1, None)
        b = await hub.subscribe(1, None)
        ids = [await log.publish(1, "bid", {"amount": n}) for n in range(5)]
        for sub in (a, b):
            got = [await sub.next(2) for _ in ids]
            assert [e.id for e in got if e] == ids
            assert await sub.next(0.1) is None
        late = await hub.subscribe(1, ids[1])
        replayed = [await late.next(1) for _ in range(3)]
        assert [e.id for e in replayed if e] == ids[2:]
        assert hub.connections == 3
        for sub in (a, b, late):
            await hub.unsubscribe(sub)
        assert hub.connections == 0
    finally:
        await hub.close()


async def test_a_client_that_falls_behind_is_dropped_not_buffered(log: LotEventLog) -> None:
    hub = LotEventHub(log, _same, queue_size=3, block_ms=50)
    try:
        slow = await hub.subscribe(1, None)
        for n in range(10):
            await log.publish(1, "bid", {"amount": n})
        await asyncio.sleep(0.3)
        drained = [await slow.next(1) for _ in range(3)]
        assert [e.data["amount"] for e in drained if e] == [0, 1, 2]
        with pytest.raises(Dropped):
            await slow.next(1)
    finally:
        await hub.close()


async def test_the_hub_renders_each_event_once_for_all_its_connections(log: LotEventLog) -> None:
    rendered: list[str] = []

    def render(event: LotEvent) -> bytes:
        rendered.append(event.id)
        return f"{event.id}:{event.data['amount']}".encode()

    hub = LotEventHub(log, render, block_ms=50)
    try:
        subs = [await hub.subscribe(1, None) for _ in range(50)]
        first = await log.publish(1, "bid", {"amount": 7})
        for sub in subs:
            assert await sub.next(2) == f"{first}:7".encode()
        assert rendered == [first]
        late = await hub.subscribe(1, "0-0")  # a replay renders for that connection alone
        assert await late.next(2) == f"{first}:7".encode()
    finally:
        await hub.close()


async def test_one_heartbeat_timer_wakes_every_quiet_connection(log: LotEventLog) -> None:
    hub: LotEventHub[LotEvent] = LotEventHub(log, _same, block_ms=50, heartbeat_s=0.1)
    try:
        subs = [await hub.subscribe(1, None) for _ in range(3)]
        beats = await asyncio.wait_for(asyncio.gather(*(sub.next() for sub in subs)), 2)
        assert beats == [None, None, None]
        published = await log.publish(1, "bid", {"amount": 1})
        for sub in subs:
            item = await asyncio.wait_for(sub.next(), 2)
            while item is None:  # a heartbeat may come first
                item = await asyncio.wait_for(sub.next(), 2)
            assert item.id == published
    finally:
        await hub.close()


class _CountingLog:
    """The log, counting replays (``since``): a connection that needs none must not wait on one."""

    def __init__(self, inner: LotEventLog) -> None:
        self.inner, self.replays = inner, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def since(self, lot_id: int, after: str | None, limit: int) -> list[LotEvent]:
        self.replays += 1
        return await self.inner.since(lot_id, after, limit)


async def test_only_a_connection_behind_the_follower_replays_and_none_misses_an_event(
    log: LotEventLog,
) -> None:
    counting = _CountingLog(log)
    hub = LotEventHub(counting, _same, block_ms=50)  # type: ignore[arg-type]
    try:
        first = await log.publish(1, "bid", {"amount": 1})
        a = await hub.subscribe(1, first)  # a lot not followed yet: the follower starts here
        second = await log.publish(1, "bid", {"amount": 2})
        assert (await a.next(2)).id == second  # type: ignore[union-attr]
        b = await hub.subscribe(1, second)  # at the follower's position: nothing to replay
        assert counting.replays == 0
        third = await log.publish(1, "bid", {"amount": 3})
        for sub in (a, b):
            assert (await sub.next(2)).id == third  # type: ignore[union-attr]
        behind = await hub.subscribe(1, first)  # behind it: replayed from the log, then live
        assert counting.replays == 1
        fourth = await log.publish(1, "bid", {"amount": 4})
        got = [await behind.next(2) for _ in range(3)]
        assert [e.id for e in got if e] == [second, third, fourth]
    finally:
        await hub.close()


async def test_an_attached_sink_gets_queued_then_live_events_and_heartbeats_and_can_refuse(
    log: LotEventLog,
) -> None:
    hub = LotEventHub(log, _same, block_ms=50)
    try:
        sub = await hub.subscribe(1, None)
        first = await log.publish(1, "bid", {"amount": 1})
        await asyncio.sleep(0.3)  # queued: nobody attached yet
        sub.tick()  # a heartbeat pending from before is not owed any more once attached
        written: list[str | None] = []
        room = 3

        def sink(item: LotEvent | None) -> bool:
            nonlocal room
            written.append(item.id if item else None)
            room -= 1
            return room > 0

        sub.attach(sink)
        assert written == [first]
        assert hub.attached == 1
        sub.tick()  # heartbeats go through the sink too
        assert written == [first, None]
        second = await log.publish(1, "bid", {"amount": 2})
        with pytest.raises(Dropped):  # the sink said no more: the connection ends
            await asyncio.wait_for(sub.next(), 2)
        assert written == [first, None, second]
        assert not sub.attached
        await log.publish(1, "bid", {"amount": 3})
        await asyncio.sleep(0.3)
        assert len(written) == 3  # nothing more is written to a dropped connection
        await hub.unsubscribe(sub)
        assert hub.connections == 0
    finally:
        await hub.close()


def _withdrawn(event: LotEvent) -> bool:
    return event.type == "status" and event.data.get("status") == "WITHDRAWN"


async def test_a_final_event_is_delivered_and_then_ends_every_connection_of_its_lot(log: LotEventLog) -> None:
    hub = LotEventHub(log, _same, block_ms=50, final=_withdrawn)
    try:
        queued, other_lot = await hub.subscribe(1, None), await hub.subscribe(2, None)
        written: list[str | None] = []
        ended: list[int] = []
        direct = await hub.subscribe(1, None)
        direct.attach(lambda item: written.append(item.id if item else None) is None, lambda: ended.append(1))
        bid = await log.publish(1, "bid", {"amount": 1})
        final = await log.publish(1, "status", {"status": "WITHDRAWN"})
        await log.publish(2, "bid", {"amount": 2})
        assert [(await queued.next(2)).id for _ in range(2)] == [bid, final]  # type: ignore[union-attr]
        with pytest.raises(Dropped):
            await queued.next(2)
        with pytest.raises(Dropped):
            await direct.next(2)
        assert (written, ended, direct.attached) == ([bid, final], [1], False)
        assert (await other_lot.next(2)).data == {"amount": 2}  # type: ignore[union-attr]
        direct.tick()  # an ended connection is written nothing more, heartbeats included
        assert written == [bid, final]
    finally:
        await hub.close()


async def test_a_connection_that_ended_before_it_attached_is_closed_after_its_queue(log: LotEventLog) -> None:
    hub = LotEventHub(log, _same, block_ms=50, final=_withdrawn)
    try:
        before = await log.publish(1, "bid", {"amount": 1})
        behind = await hub.subscribe(1, None)  # the follower starts at the newest event
        final = await log.publish(1, "status", {"status": "WITHDRAWN"})
        await asyncio.sleep(0.3)  # delivered while the connection still sends its snapshot
        written: list[str | None] = []
        ended: list[int] = []
        behind.attach(lambda item: written.append(item.id if item else None) is None, lambda: ended.append(1))
        assert (written, ended, behind.attached) == ([final], [1], False)
        replayed = await hub.subscribe(1, before)  # replayed from the log: the same end
        assert (await replayed.next(2)).id == final  # type: ignore[union-attr]
        with pytest.raises(Dropped):
            await replayed.next(2)
    finally:
        await hub.close()
