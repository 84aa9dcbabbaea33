"""The MariaDB index: an n-gram postings table of our own, since MariaDB has no n-gram parser.

MariaDB's InnoDB full-text parser splits on spaces and, by default, ignores tokens shorter than
three characters (``innodb_ft_min_token_size``, a server setting an application cannot rely on),
and MySQL's ``ngram`` parser does not exist in MariaDB. So ``search_terms`` holds, per lot, each of
the domain's terms (syllable bigrams, whole other words) once, with a weight: occurrences, a title's
counting three times a description's. Its key ``(term, lot_id)`` makes every lookup a range scan.

A query term selects the lots holding all of its bigrams (``GROUP BY lot_id HAVING COUNT(*) = n``),
the terms' selections are joined, and a Korean word of three syllables or more is then checked
for adjacency on the candidates' case-folded text (``LIKE '%달항아리%'``): the bigrams say "maybe",
the check makes it a substring match, as FTS5's phrase and Elasticsearch's ``match_phrase`` do.
Relevance is the sum of the matched postings' weights.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sagopalgo.search.adapters.sql.common import Matches, SqlLotIndex
from sagopalgo.search.adapters.sql.tables import documents, terms
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.query import SearchQuery
from sagopalgo.search.domain.text import QueryTerm, index_terms

__all__ = ["NgramLotIndex", "postings"]

_t = terms.c
TITLE_WEIGHT = 3
_MAX_WEIGHT = 32_767  # a SMALLINT


def postings(doc: LotDoc) -> dict[str, int]:
    """Each of the lot's terms with its weight."""
    weights: Counter[str] = Counter()
    for term in index_terms(doc.title):
        weights[term] += TITLE_WEIGHT
    weights.update(index_terms(doc.description))
    return {term: min(weight, _MAX_WEIGHT) for term, weight in weights.items()}


def _selection(term: QueryTerm, n: int) -> Any:
    if term.prefix:  # terms are letters and digits only: no LIKE wildcard to escape
        chosen = select(_t.lot_id, func.sum(_t.weight).label("s")).where(_t.term.like(term.text + "%"))
        return chosen.group_by(_t.lot_id).subquery(f"t{n}")
    grams = sorted(set(term.grams))
    chosen = select(_t.lot_id, func.sum(_t.weight).label("s")).where(_t.term.in_(grams))
    return chosen.group_by(_t.lot_id).having(func.count() == len(grams)).subquery(f"t{n}")


class NgramLotIndex(SqlLotIndex):
    async def _write_postings(self, conn: AsyncConnection, docs: Sequence[LotDoc]) -> None:
        rows = [
            {"term": term, "lot_id": doc.id, "weight": weight}
            for doc in docs
            for term, weight in postings(doc).items()
        ]
        if rows:
            await conn.execute(insert(terms), rows)

    async def _delete_postings(self, conn: AsyncConnection, lot_ids: Sequence[int]) -> None:
        if lot_ids:
            await conn.execute(delete(terms).where(_t.lot_id.in_(list(lot_ids))))

    def _matches(self, query: SearchQuery) -> Matches:
        parts = [_selection(term, n) for n, term in enumerate(query.terms)]
        joined: Any = parts[0]
        for part in parts[1:]:
            joined = joined.join(part, part.c.lot_id == parts[0].c.lot_id)
        score = sum((p.c.s for p in parts[1:]), parts[0].c.s)
        found = select(parts[0].c.lot_id.label("lot_id"), score.label("score")).select_from(joined)
        subquery = found.subquery("ngram_matches")
        checks: list[ColumnElement[bool]] = [
            documents.c.folded.like(f"%{term.text}%")
            for term in query.terms
            if term.cjk and len(term.text) > 2
        ]
        return Matches(subquery, subquery.c.score.desc(), and_(*checks) if checks else None)
