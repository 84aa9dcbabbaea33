"""What the two SQL indexes share: versioned document writes, filters, facets, sorts and paging.

They differ only in their postings (FTS5's virtual table, or the n-gram table) and so in how the
text terms select and rank candidates; ``SqlLotIndex`` leaves exactly that to its subclasses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, Subquery, and_, delete, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.adapters.sql.tables import documents
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import SearchHits, SearchQuery, SearchSort, tally
from sagopalgo.search.domain.text import normalize, text_key
from sagopalgo.search.ports import IndexWriter

__all__ = ["Matches", "SqlLotIndex"]

_d = documents.c
_SORTS: dict[SearchSort, tuple[Any, ...]] = {
    SearchSort.CLOSING_SOON: (_d.closes_at.asc(), _d.id.asc()),
    SearchSort.PRICE_ASC: (_d.price.asc(), _d.id.asc()),
    SearchSort.PRICE_DESC: (_d.price.desc(), _d.id.desc()),
    SearchSort.BID_COUNT_DESC: (_d.bid_count.desc(), _d.id.desc()),
    SearchSort.NEWEST: (_d.created_at.desc(), _d.id.desc()),
}
_NO_ID = 2**63 - 1
_encode = msgspec.json.Encoder().encode
_decode_keys = msgspec.json.Decoder(list[str]).decode


@dataclass(frozen=True, slots=True)
class Matches:
    """The lots the text terms select: a subquery of ``lot_id`` and ``score``, and how to rank.

    ``condition`` is what the postings alone cannot check, applied to the document row.
    """

    subquery: Subquery
    best_first: Any
    condition: ColumnElement[bool] | None = None


def _folded(doc: LotDoc) -> str:
    # A separator no term contains, so a word cannot match across the title's end.
    return normalize(doc.title) + "\n" + normalize(doc.description)


def _row(doc: LotDoc) -> dict[str, Any]:
    return {
        "id": doc.id,
        "version": doc.version,
        "listed": doc.listed,
        "title": doc.title,
        "description": doc.description,
        "category_id": doc.category_id,
        "seller_id": doc.seller_id,
        "seller_username": doc.seller_username,
        "image_keys": _encode(list(doc.image_keys)).decode(),
        "start_price": doc.start_price,
        "bid_increment": doc.bid_increment,
        "price": doc.price,
        "bid_count": doc.bid_count,
        "auction_day": doc.auction_day,
        "opens_at": doc.opens_at,
        "closes_at": doc.closes_at,
        "extended_bidding": doc.extended_bidding,
        "status": doc.status,
        "created_at": doc.created_at,
        "text_key": text_key(doc.title, doc.description),
        "folded": _folded(doc),
    }


def _doc(row: Any) -> LotDoc:
    return LotDoc(
        id=row.id,
        version=row.version,
        title=row.title,
        description=row.description,
        category_id=row.category_id,
        seller_id=row.seller_id,
        seller_username=row.seller_username,
        image_keys=tuple(_decode_keys(row.image_keys)),
        start_price=row.start_price,
        bid_increment=row.bid_increment,
        current_price=row.price if row.bid_count else None,
        bid_count=row.bid_count,
        auction_day=row.auction_day,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        extended_bidding=bool(row.extended_bidding),
        status=row.status,
        created_at=row.created_at,
        listed=bool(row.listed),
    )


class SqlLotIndex:
    """A lot index in the deployment's own database (its tables come with the migrations)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # ------------------------------------------------------------------ postings (per index)
    async def _write_postings(self, conn: AsyncConnection, docs: Sequence[LotDoc]) -> None:
        raise NotImplementedError

    async def _delete_postings(self, conn: AsyncConnection, lot_ids: Sequence[int]) -> None:
        raise NotImplementedError

    def _matches(self, query: SearchQuery) -> Matches:
        raise NotImplementedError

    # ------------------------------------------------------------------ writing
    async def ensure(self) -> None:
        """Nothing to create: the migrations made the tables."""

    async def put(self, docs: Sequence[LotDoc]) -> int:
        """Store the documents whose stored version is not newer.

        The version is checked by the ``UPDATE`` itself (atomic on both databases, so racing
        writers cannot undo a newer copy); postings are rewritten in the same transaction, and only
        when the text changed (a bid changes price and count, not the words).
        """
        if not docs:
            return 0
        written = 0
        async with self._engine.begin() as conn:
            present = set(
                (await conn.execute(select(_d.id).where(_d.id.in_([d.id for d in docs])))).scalars()
            )
            rewrite: list[LotDoc] = []
            for doc in (d for d in docs if d.id in present):
                row = _row(doc)
                newer = and_(_d.id == doc.id, _d.version <= doc.version)
                same_text = await conn.execute(
                    update(documents).where(newer, _d.text_key == row["text_key"]).values(**row)
                )
                if same_text.rowcount == 1:
                    written += 1
                    continue
                other_text = await conn.execute(update(documents).where(newer).values(**row))
                if other_text.rowcount == 1:
                    written += 1
                    rewrite.append(doc)
                # else the index holds a newer version of this lot: this copy is stale
            fresh = [d for d in docs if d.id not in present]
            if fresh:  # a lot indexed meanwhile by another writer fails the batch, which is retried
                await conn.execute(insert(documents), [_row(d) for d in fresh])
                written += len(fresh)
            if rewrite:
                await self._delete_postings(conn, [d.id for d in rewrite])
            await self._write_postings(conn, rewrite + fresh)
        return written

    async def _overwrite(self, docs: Sequence[LotDoc]) -> int:
        """The rebuild's write: each document and its postings replaced whatever the versions."""
        if not docs:
            return 0
        ids = [d.id for d in docs]
        async with self._engine.begin() as conn:
            await conn.execute(delete(documents).where(_d.id.in_(ids)))
            await self._delete_postings(conn, ids)
            await conn.execute(insert(documents), [_row(d) for d in docs])
            await self._write_postings(conn, docs)
        return len(docs)

    @asynccontextmanager
    async def rebuild(self) -> AsyncIterator[IndexWriter]:
        """Rebuilt in place, a batch per transaction; then what the rebuild did not write goes.

        Readers see every lot throughout (an old or a new copy), and the single SQLite writer is
        never held for long. The rebuild reads lots in id order, so a document it did not write
        with an id below the last it wrote is one the new copy does not have; a lot listed after
        the rebuild read past it has a higher id, and stays. A copy older than a change made
        meanwhile is put right by the catch-up that follows every rebuild.
        """
        writer = _Overwriter(self)
        yield writer
        # Wrote nothing: the catalog was empty when read, so nothing stays (the catch-up re-adds
        # any lot listed since).
        last, after = max(writer.written, default=_NO_ID), 0
        while page := await self.versions(after, 1_000):
            await self.remove([i for i, _ in page if i <= last and i not in writer.written])
            after = page[-1][0]
            if after > last:
                break

    async def remove(self, lot_ids: Sequence[int]) -> None:
        if not lot_ids:
            return
        async with self._engine.begin() as conn:
            await conn.execute(delete(documents).where(_d.id.in_(list(lot_ids))))
            await self._delete_postings(conn, list(lot_ids))

    # ------------------------------------------------------------------ reading
    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(_d.id, _d.version).where(_d.id > after_id).order_by(_d.id).limit(limit)
            )
            return [(int(i), int(v)) for i, v in rows]

    async def search(self, query: SearchQuery, page: PageRequest) -> SearchHits:
        where: list[ColumnElement[bool]] = [_d.listed == true()]
        if query.min_price is not None:
            where.append(_d.price >= query.min_price)
        if query.max_price is not None:
            where.append(_d.price <= query.max_price)
        if query.auction_day is not None:
            where.append(_d.auction_day == query.auction_day)
        facet_where: list[ColumnElement[bool]] = []
        if query.category_id is not None:
            facet_where.append(_d.category_id == query.category_id)
        if query.statuses:
            facet_where.append(_d.status.in_(sorted(query.statuses)))
        source: Any = documents
        order: tuple[Any, ...]
        best_first: Any = None
        if query.terms:
            matches = self._matches(query)
            source = documents.join(matches.subquery, matches.subquery.c.lot_id == _d.id)
            if matches.condition is not None:
                where.append(matches.condition)
            best_first = matches.best_first
        if query.sort is SearchSort.RELEVANCE and best_first is not None:
            order = (best_first, _d.id.desc())
        else:
            order = _SORTS[SearchSort.NEWEST if query.sort is SearchSort.RELEVANCE else query.sort]
        async with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # The facets and the items must come from one moment. MariaDB's transaction reads
                # one snapshot (REPEATABLE READ); SQLite's driver opens no transaction for reads,
                # so each statement would read its own, and a write between them gave facets that
                # counted a lot the items no longer held. BEGIN makes the two one read (WAL).
                await conn.exec_driver_sql("BEGIN")
            grouped = await conn.execute(
                select(_d.category_id, _d.status, func.count())
                .select_from(source)
                .where(*where)
                .group_by(_d.category_id, _d.status)
            )
            groups = {(int(c), str(s)): int(n) for c, s, n in grouped}
            total = tally(groups, query).total
            items: list[LotDoc] = []
            if total > page.offset:
                listing: Select[Any] = (
                    select(documents)
                    .select_from(source)
                    .where(*where, *facet_where)
                    .order_by(*order)
                    .limit(page.size)
                    .offset(page.offset)
                )
                items = [_doc(row) for row in await conn.execute(listing)]
        return SearchHits(items, groups, total)


class _Overwriter:
    def __init__(self, index: SqlLotIndex) -> None:
        self._index = index
        self.written: set[int] = set()

    async def put(self, docs: Sequence[LotDoc]) -> int:
        done = await self._index._overwrite(docs)
        self.written.update(d.id for d in docs)
        return done
