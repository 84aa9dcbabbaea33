"""What the search use cases need: the index itself, and the catalog's lots as documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import SearchHits, SearchQuery

__all__ = ["CategoryNames", "IndexWriter", "LotIndex", "LotSource"]


class IndexWriter(Protocol):
    async def put(self, docs: Sequence[LotDoc]) -> int:
        """Store each document unless the index holds a newer version of that lot; return how many.

        A document whose version equals the stored one replaces it (a rebuild rewrites everything).
        Once ``put`` returns, searches see the documents. Safe to run from several processes at
        once: whatever the interleaving, each lot ends with its highest version.
        """
        ...


class LotIndex(IndexWriter, Protocol):
    """The lot search index (SQLite FTS5, an n-gram table on MariaDB, Elasticsearch or OpenSearch).

    Matching follows ``sagopalgo.search.domain.text``: every query term must occur in the title or
    the description — a Korean word as consecutive syllable bigrams, a lone syllable as the start
    of one, any other word whole. Lots not ``listed`` never match.
    """

    async def ensure(self) -> None:
        """Create whatever the index needs and does not have yet (idempotent, safe to race)."""
        ...

    async def search(self, query: SearchQuery, page: PageRequest) -> SearchHits:
        """One page in ``query.sort`` order, the hit total, and the facet table.

        Ties are broken by id, so paging is stable. ``groups`` counts matches per (category,
        status) under the text, price and day filters alone.
        """
        ...

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        """``(lot id, version)`` of up to ``limit`` documents with ids above ``after_id``, by id."""
        ...

    async def remove(self, lot_ids: Sequence[int]) -> None:
        """Forget these lots entirely (only for lots the catalog does not have at all)."""
        ...

    def rebuild(self) -> AbstractAsyncContextManager[IndexWriter]:
        """A writer for a complete copy, which replaces the live index when the block exits cleanly.

        The rebuild's writer stores every document it is given whatever the versions. Searches are
        answered throughout, from the old copy until the swap.
        """
        ...


class LotSource(Protocol):
    """The catalog's lots, as documents (composition adapts the catalog's published queries)."""

    async def docs(self, lot_ids: Sequence[int]) -> list[LotDoc]:
        """The lots among ``lot_ids`` that exist, withdrawn ones included (as not ``listed``)."""
        ...

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        """``(lot id, version)`` of up to ``limit`` lots with ids above ``after_id``, by id."""
        ...


class CategoryNames(Protocol):
    async def names(self) -> Mapping[int, str]:
        """Current category names by id (looked up per query, so a rename shows at once)."""
        ...
