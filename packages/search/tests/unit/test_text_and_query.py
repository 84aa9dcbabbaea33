"""How text becomes terms, how a query is checked, and how facets are summed."""

from datetime import date

import pytest

from sagopalgo.kernel.errors import Invalid
from sagopalgo.search.domain.query import SearchQuery, SearchSort, tally
from sagopalgo.search.domain.text import (
    MAX_QUERY_TERMS,
    MAX_WORD,
    QueryTerm,
    index_terms,
    query_terms,
    strip_particle,
    text_key,
)

MAX_KRW = 1_000_000_000_000


def test_hangul_runs_become_syllable_bigrams_and_other_words_stay_whole() -> None:
    assert index_terms("고려청자 상감운학문 매병") == [
        "고려",
        "려청",
        "청자",
        "상감",
        "감운",
        "운학",
        "학문",
        "매병",
    ]
    assert index_terms("Goryeo CELADON 청자, 12세기!") == ["goryeo", "celadon", "청자", "12", "세기"]
    assert index_terms("책 a") == ["책", "a"]  # a lone syllable stays a unigram


def test_text_is_normalised_before_it_is_split() -> None:
    assert index_terms("ＣＥＬＡＤＯＮ") == ["celadon"]  # full-width letters
    assert index_terms("\u1100\u1161\u11a8") == ["각"]  # conjoining jamo compose to one syllable
    assert index_terms("靑磁") == ["靑磁"]  # Han characters are bigrammed too


def test_long_words_are_cut_the_same_way_on_both_sides() -> None:
    word = "x" * (MAX_WORD + 10)
    assert index_terms(word) == ["x" * MAX_WORD]
    assert query_terms(word) == (QueryTerm("x" * MAX_WORD, cjk=False),)


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("달항아리를", "달항아리"),
        ("백자의", "백자"),
        ("청자가", "청자"),
        ("항아리에서는", "항아리"),
        ("불상과", "불상"),
        ("화로", "화로"),  # one syllable would remain: not a particle
        ("향로", "향로"),
        ("청자", "청자"),
        ("매병", "매병"),
    ],
)
def test_a_trailing_particle_is_stripped_only_from_a_long_enough_word(word: str, stem: str) -> None:
    assert strip_particle(word) == stem


def test_query_terms_strip_particles_drop_repeats_and_are_bounded() -> None:
    assert query_terms("달항아리를 celadon 달항아리") == (
        QueryTerm("달항아리", cjk=True),
        QueryTerm("celadon", cjk=False),
    )
    assert query_terms("!!! ...") == ()
    many = " ".join(f"w{n}" for n in range(MAX_QUERY_TERMS + 5))
    assert len(query_terms(many)) == MAX_QUERY_TERMS


def test_a_query_term_knows_its_grams_and_whether_it_is_a_prefix() -> None:
    assert QueryTerm("달항아리", cjk=True).grams == ("달항", "항아", "아리")
    assert QueryTerm("청자", cjk=True).grams == ("청자",)
    assert QueryTerm("책", cjk=True).prefix
    assert not QueryTerm("a", cjk=False).prefix
    assert QueryTerm("vase", cjk=False).grams == ("vase",)


def test_the_text_key_changes_with_the_text_only() -> None:
    assert text_key("백자", "설명") == text_key("백자", "설명")
    assert text_key("백자", "설명") != text_key("백자 ", "설명")
    assert text_key("백자", "설명") != text_key("백자설", "명")


# ------------------------------------------------------------------ the query
def test_sort_defaults_to_relevance_with_text_and_newest_without() -> None:
    assert SearchQuery.of(q="청자", max_krw=MAX_KRW).sort is SearchSort.RELEVANCE
    assert SearchQuery.of(max_krw=MAX_KRW).sort is SearchSort.NEWEST
    assert SearchQuery.of(q="  ", max_krw=MAX_KRW).sort is SearchSort.NEWEST
    assert SearchQuery.of(sort=SearchSort.RELEVANCE, max_krw=MAX_KRW).sort is SearchSort.NEWEST
    assert SearchQuery.of(q="청자", sort=SearchSort.PRICE_ASC, max_krw=MAX_KRW).sort is SearchSort.PRICE_ASC


def test_a_query_of_punctuation_matches_nothing_and_blank_is_no_query() -> None:
    assert SearchQuery.of(q="?!", max_krw=MAX_KRW).matches_nothing
    for wildcards in ("%", "_", "%_%", "*", '"'):  # no LIKE or FTS5 syntax: nothing, not everything
        assert SearchQuery.of(q=wildcards, max_krw=MAX_KRW).matches_nothing, wildcards
    assert not SearchQuery.of(q="   ", max_krw=MAX_KRW).matches_nothing
    assert not SearchQuery.of(max_krw=MAX_KRW).matches_nothing


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "가" * 101}, "q"),
        ({"min_price": MAX_KRW + 1}, "minPrice"),
        ({"max_price": MAX_KRW + 1}, "maxPrice"),
        ({"min_price": -1}, "minPrice"),
        ({"min_price": 5_000, "max_price": 4_999}, "maxPrice"),
    ],
)
def test_bad_requests_name_the_field(params: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        SearchQuery.of(max_krw=MAX_KRW, **params)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_the_price_bounds_are_inclusive_and_may_meet() -> None:
    query = SearchQuery.of(min_price=0, max_price=0, auction_day=date(2026, 11, 26), max_krw=MAX_KRW)
    assert (query.min_price, query.max_price) == (0, 0)


def test_facets_sum_every_filter_but_their_own() -> None:
    groups = {(1, "OPEN"): 3, (1, "SOLD"): 2, (2, "OPEN"): 5, (3, "SCHEDULED"): 1, (3, "OPEN"): 0}
    query = SearchQuery.of(category_id=1, statuses=["OPEN"], max_krw=MAX_KRW)
    facets = tally(groups, query)
    assert facets.total == 3
    assert [(f.key, f.count) for f in facets.categories] == [(2, 5), (1, 3)]  # under status OPEN
    assert [(f.key, f.count) for f in facets.statuses] == [("OPEN", 3), ("SOLD", 2)]  # in category 1
    unfiltered = tally(groups, SearchQuery.of(max_krw=MAX_KRW))
    assert unfiltered.total == 11
    assert [(f.key, f.count) for f in unfiltered.categories] == [(1, 5), (2, 5), (3, 1)]  # ties by id
