"""The MariaDB index: an n-gram postings table of our own, since MariaDB has no n-gram parser.

MariaDB's InnoDB full-text parser splits on spaces and, by default, ignores tokens shorter than
three characters (``innodb_ft_min_token_size``, a server setting an application cannot rely on),
and MySQL's ``ngram`` parser does not exist in MariaDB. So ``search_terms`` holds, per lot, each of
the domain's terms (syllable bigrams, whole other words) once, with a weight: occurrences, a title's
counting three times a description's. Its key ``(term, lot_id)`` makes every lookup a range scan.

A query needs one posting per distinct gram of its words, all of the same lot: a join of the
postings table with itself on ``lot_id``, each step a primary-key lookup, so the cost follows the
rarest gram rather than the whole table. A Korean word of three syllables or more is then checked
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


def _prefix(term: QueryTerm, n: int) -> Any:
    """A lone syllable: every term it starts (terms are letters and digits: no LIKE wildcard to escape)."""
    chosen = select(_t.lot_id, func.sum(_t.weight).label("s")).where(_t.term.like(term.text + "%"))
    return chosen.group_by(_t.lot_id).subquery(f"p{n}")


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
        """One posting per distinct gram, joined on the lot.

        Every join after the first is a primary-key lookup ``(term, lot_id)``, and without a
        ``GROUP BY`` the optimizer may merge it all into the outer query and start from the
        rarest gram.
        """
        grams = sorted({g for term in query.terms if not term.prefix for g in term.grams})
        postings = [terms.alias(f"g{n}") for n in range(len(grams))]
        prefixes = [_prefix(term, n) for n, term in enumerate(query.terms) if term.prefix]
        parts = [*postings, *prefixes]
        first = parts[0]
        joined: Any = first
        for part in parts[1:]:
            joined = joined.join(part, part.c.lot_id == first.c.lot_id)
        weights: list[Any] = [p.c.weight for p in postings] + [p.c.s for p in prefixes]
        score: Any = sum(weights[1:], weights[0])
        found = select(first.c.lot_id.label("lot_id"), score.label("score")).select_from(joined)
        found = found.where(*(p.c.term == gram for p, gram in zip(postings, grams, strict=True)))
        subquery = found.subquery("ngram_matches")
        checks: list[ColumnElement[bool]] = [
            documents.c.folded.like(f"%{term.text}%")
            for term in query.terms
            if term.cjk and len(term.text) > 2
        ]
        return Matches(subquery, subquery.c.score.desc(), and_(*checks) if checks else None)
