"""The embedded default: SQLite FTS5 over text pre-split into the domain's terms.

FTS5's own tokenizers do not fit Korean: ``unicode61`` keeps "고려청자" as one token, which "청자"
cannot match, and ``trigram`` matches nothing shorter than three characters — most Korean nouns
are two syllables. So the index is fed the domain's terms joined by spaces (syllable bigrams, whole
other words), which ``unicode61`` then takes one by one: a two-syllable word is a single token, a
longer one a phrase of consecutive bigrams, and ranking is FTS5's own BM25 with the title weighted
three times the description.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import column, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from sagopalgo.search.adapters.sql.common import Matches, SqlLotIndex
from sagopalgo.search.adapters.sql.tables import FTS_TABLE
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import SearchQuery
from sagopalgo.search.domain.text import QueryTerm, index_terms

__all__ = ["FTS_DDL", "SqliteFtsLotIndex", "match_expression"]

FTS_DDL = f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, tokenize = 'unicode61')"
"""Rows are keyed by ``rowid`` = the lot's id; the migration runs this on SQLite."""

_fts = table(FTS_TABLE, column("rowid"), column("title"), column("body"))
_INSERT = text(f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (:id, :title, :body)")  # noqa: S608 - a constant


def _phrase(term: QueryTerm) -> str:
    # Terms hold only letters and digits, so quoting them is all the escaping FTS5 needs.
    quoted = '"' + " ".join(term.grams) + '"'
    return quoted + " *" if term.prefix else quoted


def match_expression(terms: Sequence[QueryTerm]) -> str:
    """Every term, as a phrase of its bigrams (a prefix for a lone syllable), joined by AND."""
    return " AND ".join(_phrase(t) for t in terms)


class SqliteFtsLotIndex(SqlLotIndex):
    async def _write_postings(self, conn: AsyncConnection, docs: Sequence[LotDoc]) -> None:
        if docs:
            await conn.execute(
                _INSERT,
                [
                    {
                        "id": d.id,
                        "title": " ".join(index_terms(d.title)),
                        "body": " ".join(index_terms(d.description)),
                    }
                    for d in docs
                ],
            )

    async def _delete_postings(self, conn: AsyncConnection, lot_ids: Sequence[int]) -> None:
        if lot_ids:
            await conn.execute(_fts.delete().where(_fts.c.rowid.in_(list(lot_ids))))

    def _matches(self, query: SearchQuery) -> Matches:
        score: Any = literal_column(f"bm25({FTS_TABLE}, 3.0, 1.0)")
        found = (
            select(_fts.c.rowid.label("lot_id"), score.label("score"))
            .select_from(_fts)
            .where(text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=match_expression(query.terms)))
            .subquery("fts_matches")
        )
        return Matches(found, found.c.score.asc())  # BM25 here: the lower, the better
