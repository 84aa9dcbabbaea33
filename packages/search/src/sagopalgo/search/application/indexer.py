"""Keeping the index in step with the catalog: by events, with a catch-up and a full rebuild.

The catalog announces every committed change of a lot (``LotChanged``); bids reach it through
the bid-log writer, which copies each accepted price to the catalog. The indexer notes the lot as
pending and a background loop indexes pending lots in batches: it reads each lot's *current* state
from the catalog and stores it with the lot's version, so a burst of changes to one lot costs one
write, and events arriving late or out of order never matter.

An event held only in memory is lost if the process dies between the catalog's commit and the
index write. So every process starts with a catch-up — both sides' ``(id, version)`` lists walked
in id order, and every lot whose versions differ re-indexed — and ``sagopalgo reindex`` rebuilds a
complete copy and swaps it in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from sagopalgo.search.ports import IndexWriter, LotIndex, LotSource

__all__ = ["CatchUp", "Indexer", "IndexerStats"]

_log = logging.getLogger("sagopalgo.search")

Versions = Callable[[int, int], Awaitable[list[tuple[int, int]]]]


@dataclass(frozen=True, slots=True)
class CatchUp:
    reindexed: int
    removed: int


class IndexerStats:
    """How long a change waited from its event to its index write (bounded), for ops and benchmarks."""

    def __init__(self, keep: int = 10_000) -> None:
        self.lags_ms: deque[float] = deque(maxlen=keep)
        self.indexed = 0

    def percentile(self, p: float) -> float | None:
        if not self.lags_ms:
            return None
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class Indexer:
    def __init__(
        self,
        *,
        index: LotIndex,
        source: LotSource,
        batch: int = 200,
        page: int = 1_000,
        retry_s: float = 1.0,
        linger_s: float = 0.1,
    ) -> None:
        """``linger_s``: the pause after each round, so changes gather into the next one.

        A lot in a bidding spike changes with every bid-log round (tens a second); indexing it each
        time cost the API's event loop a read and a write per round and pushed the bid path's p99
        past its target. A pause of 0.1 s bounds a hot lot to ten index writes a second and adds at
        most that much to the freshness (measured well under the 1 s target).
        """
        self._index, self._source = index, source
        self._batch, self._page, self._retry_s, self._linger_s = batch, page, retry_s, linger_s
        self._pending: dict[int, float] = {}
        """Lots to index, with when each was first noted (monotonic seconds)."""
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.stats = IndexerStats()

    # ------------------------------------------------------------------ events
    async def lot_changed(self, lot_id: int) -> None:
        """Note a lot to index; never waits and never fails (the catalog's listener)."""
        self._pending.setdefault(lot_id, time.monotonic())
        self._idle.clear()
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def idle(self) -> None:
        """Wait until nothing is pending (tests and benchmarks use it to tell "indexed" from "not yet")."""
        await self._idle.wait()

    def _take(self) -> dict[int, float]:
        ids = list(self._pending)[: self._batch]
        return {lot_id: self._pending.pop(lot_id) for lot_id in ids}

    async def _index_ids(self, lot_ids: Sequence[int], writer: IndexWriter | None = None) -> int:
        docs = await self._source.docs(lot_ids)
        written = await (writer or self._index).put(docs)
        gone = sorted(set(lot_ids) - {d.id for d in docs})
        if gone and writer is None:
            await self._index.remove(gone)
        return written

    async def _round(self) -> bool:
        taken = self._take()
        try:
            await self._index_ids(list(taken))
        except Exception:
            _log.warning("indexing %d lot(s) failed; retrying", len(taken), exc_info=True)
            for lot_id, since in taken.items():  # keep the older mark: the wait goes on
                self._pending[lot_id] = min(since, self._pending.get(lot_id, since))
            return False
        now = time.monotonic()
        self.stats.lags_ms.extend((now - since) * 1000 for since in taken.values())
        self.stats.indexed += len(taken)
        return True

    async def flush(self) -> None:
        """Index everything pending now, in this task (a command or the Lambda, before it exits)."""
        while self._pending:
            taken = self._take()
            try:
                await self._index_ids(list(taken))
            except Exception:
                self._pending.update({k: v for k, v in taken.items() if k not in self._pending})
                raise
        self._idle.set()

    async def run(self, stop: asyncio.Event, *, catch_up: bool = True) -> None:
        """Index pending lots until ``stop`` is set (the batch under way finishes first).

        With ``catch_up``, a catch-up runs alongside, retried until it succeeds once. Set ``stop``
        and await the task rather than cancelling it: a write cancelled mid-transaction would strand
        a pooled connection.
        """
        repair = asyncio.create_task(self._catch_up_until_done(stop)) if catch_up else None
        try:
            while not stop.is_set():
                if not self._pending:
                    self._idle.set()
                    self._wake.clear()
                    await _first(stop.wait(), self._wake.wait())
                    continue
                if not await self._round():
                    await _sleep(stop, self._retry_s)
                elif self._linger_s:
                    await _sleep(stop, self._linger_s)
        finally:
            if repair is not None:
                await repair

    async def _catch_up_until_done(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.catch_up(stop)
            except Exception:
                _log.warning("search catch-up failed; retrying", exc_info=True)
                await _sleep(stop, max(self._retry_s, 5.0))
                continue
            if done.reindexed or done.removed:
                _log.info(
                    "search index caught up", extra={"reindexed": done.reindexed, "removed": done.removed}
                )
            return

    # ------------------------------------------------------------------ repair
    async def catch_up(self, stop: asyncio.Event | None = None) -> CatchUp:
        """Make the index agree with the catalog.

        Re-index every lot whose versions differ, and remove documents of lots the catalog does not
        have. Both lists are walked in id order, a page at a time, so memory stays flat however
        many lots there are.
        """
        catalog = _walk(self._source.versions, self._page)
        index = _walk(self._index.versions, self._page)
        stale: list[int] = []
        orphans: list[int] = []
        reindexed = removed = 0
        ours, theirs = await anext(catalog, None), await anext(index, None)
        while ours is not None or theirs is not None:
            if stop is not None and stop.is_set():
                break
            if theirs is None or (ours is not None and ours[0] < theirs[0]):
                stale.append(ours[0])  # type: ignore[index]  # ours is set on this branch
                ours = await anext(catalog, None)
            elif ours is None or theirs[0] < ours[0]:
                orphans.append(theirs[0])
                theirs = await anext(index, None)
            else:
                if ours[1] != theirs[1]:
                    stale.append(ours[0])
                ours, theirs = await anext(catalog, None), await anext(index, None)
            if len(stale) >= self._batch:
                reindexed += await self._index_ids(stale)
                stale = []
            if len(orphans) >= self._batch:
                await self._index.remove(orphans)
                removed, orphans = removed + len(orphans), []
        if stale:
            reindexed += await self._index_ids(stale)
        if orphans:
            await self._index.remove(orphans)
            removed += len(orphans)
        return CatchUp(reindexed, removed)

    async def reindex(self) -> int:
        """Build a complete copy from the catalog, swap it in, then catch up with what changed meanwhile."""
        await self._index.ensure()
        written = 0
        async with self._index.rebuild() as writer:
            async for page in _pages(self._source.versions, self._page):
                for start in range(0, len(page), self._batch):
                    ids = [lot_id for lot_id, _ in page[start : start + self._batch]]
                    written += await self._index_ids(ids, writer)
        await self.catch_up()
        return written


async def _pages(versions: Versions, size: int) -> AsyncIterator[list[tuple[int, int]]]:
    after = 0
    while page := await versions(after, size):
        yield page
        after = page[-1][0]


async def _walk(versions: Versions, size: int) -> AsyncIterator[tuple[int, int]]:
    async for page in _pages(versions, size):
        for entry in page:
            yield entry


async def _first(*waits: Awaitable[object]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
