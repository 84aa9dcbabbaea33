"""A search request, checked once, and how facet counts follow from it.

Facets are *disjunctive*, as shoppers expect: the category counts apply every filter but the
category (so picking a category still shows what the others hold), and the status counts every
filter but the status. Every index therefore returns one table — matches per (category, status)
under the text, price and day filters — from which the hit total and both facets are summed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.money import check_krw
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.domain.text import QueryTerm, query_terms

__all__ = [
    "MAX_QUERY_LENGTH",
    "FacetCount",
    "Facets",
    "Groups",
    "SearchHits",
    "SearchQuery",
    "SearchSort",
    "tally",
]

MAX_QUERY_LENGTH = 100

Groups = Mapping[tuple[int, str], int]
"""Matches per ``(category id, status)`` under the text, price and day filters (listed lots only)."""


class SearchSort(enum.StrEnum):
    RELEVANCE = "relevance"
    CLOSING_SOON = "closingSoon"
    PRICE_ASC = "priceAsc"
    PRICE_DESC = "priceDesc"
    BID_COUNT_DESC = "bidCountDesc"
    NEWEST = "newest"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Filters combine with AND; ``statuses`` empty means any status (withdrawn lots never match)."""

    terms: tuple[QueryTerm, ...] = ()
    text_given: bool = False
    """A ``q`` was sent; if it held nothing searchable (only punctuation), nothing matches."""
    category_id: int | None = None
    statuses: frozenset[str] = frozenset()
    min_price: int | None = None
    max_price: int | None = None
    auction_day: date | None = None
    sort: SearchSort = SearchSort.NEWEST

    @classmethod
    def of(
        cls,
        *,
        q: str | None = None,
        category_id: int | None = None,
        statuses: Iterable[str] = (),
        min_price: int | None = None,
        max_price: int | None = None,
        auction_day: date | None = None,
        sort: SearchSort | None = None,
        max_krw: int,
    ) -> SearchQuery:
        """Check the request; ``sort`` defaults to relevance when there is text, else newest first."""
        text = (q or "").strip()
        if len(text) > MAX_QUERY_LENGTH:
            raise Invalid(f"q must be at most {MAX_QUERY_LENGTH} characters.", field="q")
        for name, value in (("minPrice", min_price), ("maxPrice", max_price)):
            if value is not None:
                try:
                    check_krw(value, minimum=0, maximum=max_krw)
                except ValueError as exc:
                    raise Invalid(f"{name}: {exc}", field=name) from None
        if min_price is not None and max_price is not None and min_price > max_price:
            raise Invalid("maxPrice must not be below minPrice.", field="maxPrice")
        terms = query_terms(text)
        chosen = sort or (SearchSort.RELEVANCE if terms else SearchSort.NEWEST)
        if chosen is SearchSort.RELEVANCE and not terms:
            chosen = SearchSort.NEWEST  # nothing to rank by
        return cls(
            terms=terms,
            text_given=bool(text),
            category_id=category_id,
            statuses=frozenset(statuses),
            min_price=min_price,
            max_price=max_price,
            auction_day=auction_day,
            sort=chosen,
        )

    @property
    def matches_nothing(self) -> bool:
        return self.text_given and not self.terms

    def in_category(self, category_id: int) -> bool:
        return self.category_id is None or self.category_id == category_id

    def in_status(self, status: str) -> bool:
        return not self.statuses or status in self.statuses


@dataclass(frozen=True, slots=True)
class FacetCount:
    key: int | str
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    total: int
    categories: tuple[FacetCount, ...]
    """Category ids by matches under every filter but the category; most first."""
    statuses: tuple[FacetCount, ...]
    """Statuses by matches under every filter but the status; most first."""


def tally(groups: Groups, query: SearchQuery) -> Facets:
    """The hit total and both facets from the per-(category, status) table; zero counts left out."""
    categories: dict[int, int] = {}
    statuses: dict[str, int] = {}
    total = 0
    for (category, status), count in groups.items():
        if count <= 0:
            continue
        if query.in_status(status):
            categories[category] = categories.get(category, 0) + count
        if query.in_category(category):
            statuses[status] = statuses.get(status, 0) + count
            if query.in_status(status):
                total += count
    return Facets(
        total=total,
        categories=tuple(
            FacetCount(k, v) for k, v in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        statuses=tuple(FacetCount(k, v) for k, v in sorted(statuses.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


@dataclass(frozen=True, slots=True)
class SearchHits:
    """One page of matches in the requested order, and the table the facets are summed from."""

    items: list[LotDoc]
    groups: Groups
    total: int
