"""``sagopalgo reindex``: rebuild the search index from the database, through the same indexer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sagopalgo.api.composition import open_market, search_backend
from sagopalgo.api.db import upgrade
from sagopalgo.kernel.clock import SystemClock
from sagopalgo.platform.settings import Settings

__all__ = ["Reindexed", "reindex_lots"]


@dataclass(frozen=True, slots=True)
class Reindexed:
    backend: str
    lots: int
    seconds: float


async def reindex_lots(settings: Settings) -> Reindexed:
    """Build a complete copy beside the live index and swap it in; searches are answered throughout."""
    if settings.auto_migrate:
        await asyncio.to_thread(upgrade, settings.database_url)
    started = time.perf_counter()
    async with open_market(settings, SystemClock()) as market:
        written = await market.indexer.reindex()
    return Reindexed(search_backend(settings), written, time.perf_counter() - started)
