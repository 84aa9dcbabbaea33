"""The lot index's contract, on SQLite FTS5, on MariaDB's n-gram table, on Elasticsearch and OpenSearch.

One suite for every adapter (Elasticsearch joins when ``SAGOPALGO_ELASTICSEARCH_URL`` names a
server, OpenSearch when ``SAGOPALGO_OPENSEARCH_URL`` does). It speaks only the ``LotIndex`` port.
"""

import asyncio
from dataclasses import replace
from datetime import date

from sagopalgo.kernel.paging import PageRequest
from sagopalgo.search.domain.query import SearchQuery, SearchSort, tally
from sagopalgo.search.ports import LotIndex
from sagopalgo.testing.search import doc

MAX_KRW = 1_000_000_000_000

CELADON = doc(
    1, "고려청자 상감운학문 매병", "12세기 강진 가마에서 구운 청자. 학과 구름 무늬를 상감으로 새겼다."
)
MOON_JAR = doc(2, "조선 백자 달항아리", "18세기 후반의 큰 항아리. 입이 넓고 몸체가 둥글다.", category_id=2)
MIXED = doc(3, "Goryeo Celadon 청자 Maebyeong Vase", "Inlaid celadon with cranes.", category_id=3)
BLUE = doc(4, "청화백자 매죽문 항아리", "조선 후기 청화 안료로 매화와 대나무를 그렸다.", category_id=2)
DESK = doc(5, "조선 서안 책상", "소나무로 만든 작은 책상.", category_id=4)
LOTS = [CELADON, MOON_JAR, MIXED, BLUE, DESK]


async def ids(index: LotIndex, page: PageRequest | None = None, **params: object) -> list[int]:
    hits = await index.search(SearchQuery.of(max_krw=MAX_KRW, **params), page or PageRequest(1, 100))  # type: ignore[arg-type]
    return [d.id for d in hits.items]


async def found(index: LotIndex, q: str, **params: object) -> set[int]:
    return set(await ids(index, q=q, **params))


# ------------------------------------------------------------------ Korean
async def test_two_syllable_korean_words_match_inside_longer_ones(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    assert await found(lot_index, "청자") == {CELADON.id, MIXED.id}
    assert await found(lot_index, "백자") == {MOON_JAR.id, BLUE.id}
    assert await found(lot_index, "상감") == {CELADON.id}
    assert await found(lot_index, "운학") == {CELADON.id}
    assert await found(lot_index, "항아리") == {MOON_JAR.id, BLUE.id}
    assert await found(lot_index, "청화") == {BLUE.id}


async def test_a_query_word_with_a_particle_still_finds_the_noun(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    assert await found(lot_index, "달항아리를") == {MOON_JAR.id}
    assert await found(lot_index, "백자의") == {MOON_JAR.id, BLUE.id}
    assert await found(lot_index, "청자가") == {CELADON.id, MIXED.id}


async def test_every_word_must_match_in_the_title_or_the_description(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    assert await found(lot_index, "조선 항아리") == {MOON_JAR.id, BLUE.id}
    assert await found(lot_index, "백자 대나무") == {BLUE.id}  # the second word is in the description
    assert await found(lot_index, "구름") == {CELADON.id}  # the description alone
    assert await found(lot_index, "청자 책상") == set()


async def test_a_long_korean_word_matches_only_as_a_whole(lot_index: LotIndex) -> None:
    """Its bigrams must be consecutive: "달항아리" is not found by "항아리달" or by "아리달항"."""
    await lot_index.put(LOTS)
    assert await found(lot_index, "달항아리") == {MOON_JAR.id}
    assert await found(lot_index, "항아리달") == set()
    assert await found(lot_index, "백자달항") == set()


async def test_a_lone_syllable_matches_the_start_of_a_word_piece(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    assert DESK.id in await found(lot_index, "책")


async def test_latin_words_find_mixed_titles_whatever_the_case(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    assert await found(lot_index, "celadon") == {MIXED.id}
    assert await found(lot_index, "CELADON 청자") == {MIXED.id}
    assert await found(lot_index, "cranes") == {MIXED.id}
    assert await found(lot_index, "celadonia") == set()


async def test_a_title_match_ranks_above_a_description_match(lot_index: LotIndex) -> None:
    await lot_index.put(
        [doc(1, "작은 소반", "옻칠한 나무 소반"), doc(2, "옻칠 소반", "작은 나무 소반"), doc(3, "꽃병")]
    )
    assert await ids(lot_index, q="옻칠") == [2, 1]
    assert (await lot_index.search(SearchQuery.of(q="옻칠", max_krw=MAX_KRW), PageRequest())).total == 2


async def test_a_users_wildcards_and_operators_are_only_text(lot_index: LotIndex) -> None:
    """``%`` and ``_`` never reach a ``LIKE`` as wildcards, nor ``OR``, ``*`` or ``title:`` FTS5 as syntax.

    The original passed a user's ``%`` and ``_`` straight into its ``LIKE`` filters.
    """
    cup = doc(6, "순은 100% 찻잔", "손잡이_없는 작은 잔")
    await lot_index.put([*LOTS, cup])
    assert await found(lot_index, "100%") == {cup.id}
    assert await found(lot_index, "%청자%") == {CELADON.id, MIXED.id}
    assert await found(lot_index, "청자 OR 백자") == set()  # three words, "or" among them
    assert await found(lot_index, "청자*") == {CELADON.id, MIXED.id}
    assert await found(lot_index, "title:청자") == set()
    assert await found(lot_index, '"청자 NEAR 백자"') == set()
    assert await found(lot_index, "손잡이_없는") == {cup.id}


# ------------------------------------------------------------------ versions
async def test_an_older_copy_never_replaces_a_newer_one(lot_index: LotIndex) -> None:
    await lot_index.put([replace(MOON_JAR, version=3)])
    assert await lot_index.put([replace(MOON_JAR, version=2, title="조선 분청사기 편병")]) == 0
    assert await found(lot_index, "분청") == set()
    assert await found(lot_index, "달항아리") == {MOON_JAR.id}
    assert await lot_index.versions(0, 10) == [(MOON_JAR.id, 3)]


async def test_a_newer_copy_replaces_text_price_and_status(lot_index: LotIndex) -> None:
    await lot_index.put([MOON_JAR])
    newer = replace(
        MOON_JAR, version=4, title="조선 분청사기 편병", current_price=900_000, bid_count=5, status="OPEN"
    )
    assert await lot_index.put([newer]) == 1
    assert await found(lot_index, "달항아리") == set()
    (hit,) = (await lot_index.search(SearchQuery.of(q="분청", max_krw=MAX_KRW), PageRequest())).items
    assert hit == newer
    again = replace(newer, current_price=950_000, bid_count=6)  # the same version again: a rebuild's write
    assert await lot_index.put([again]) == 1
    assert await lot_index.put([again]) == 1  # storing identical values still counts as stored
    (hit,) = (await lot_index.search(SearchQuery.of(q="분청", max_krw=MAX_KRW), PageRequest())).items
    assert (hit.price, hit.bid_count) == (950_000, 6)


async def test_racing_writers_leave_the_highest_version(lot_index: LotIndex) -> None:
    copies = [replace(CELADON, version=v, bid_count=v, current_price=10_000 + v) for v in range(1, 9)]
    await lot_index.put([CELADON])
    await asyncio.gather(*(lot_index.put([c]) for c in reversed(copies)))
    assert await lot_index.versions(0, 10) == [(CELADON.id, 8)]
    (hit,) = (await lot_index.search(SearchQuery.of(q="청자 상감", max_krw=MAX_KRW), PageRequest())).items
    assert hit.bid_count == 8


async def test_withdrawn_lots_never_appear(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    await lot_index.put([replace(MOON_JAR, version=1, listed=False, status="WITHDRAWN")])
    assert MOON_JAR.id not in await ids(lot_index)
    assert await found(lot_index, "달항아리") == set()
    assert await found(lot_index, "백자") == {BLUE.id}
    hits = await lot_index.search(SearchQuery.of(statuses=["WITHDRAWN"], max_krw=MAX_KRW), PageRequest())
    assert (hits.items, hits.total) == ([], 0)
    assert all(status != "WITHDRAWN" for _, status in hits.groups)
    # a late copy from before the withdrawal cannot bring it back
    await lot_index.put([MOON_JAR])
    assert await found(lot_index, "달항아리") == set()


# ------------------------------------------------------------------ filters, sorts, paging, facets
def _market() -> list:  # type: ignore[type-arg]
    """Twelve lots over three categories, three days and four statuses, prices 10k-120k."""
    statuses = ["SCHEDULED", "OPEN", "SOLD", "UNSOLD"]
    return [
        doc(
            n,
            f"백자 항아리 {n}호" if n % 2 else f"청자 매병 {n}호",
            category_id=1 + n % 3,
            status=statuses[n % 4],
            auction_day=date(2026, 11, 24 + n % 3),
            current_price=10_000 * n + 500 if n % 4 in (1, 2) else None,
            bid_count=n % 5 if n % 4 in (1, 2) else 0,
        )
        for n in range(1, 13)
    ]


async def test_filters_combine(lot_index: LotIndex) -> None:
    lots = _market()
    await lot_index.put(lots)

    def expect(pred: object) -> set[int]:
        return {d.id for d in lots if pred(d)}  # type: ignore[operator]

    assert set(await ids(lot_index, category_id=2)) == expect(lambda d: d.category_id == 2)
    assert set(await ids(lot_index, statuses=["OPEN", "SOLD"])) == expect(
        lambda d: d.status in {"OPEN", "SOLD"}
    )
    assert set(await ids(lot_index, min_price=30_000, max_price=70_000)) == expect(
        lambda d: 30_000 <= d.price <= 70_000
    )
    assert set(await ids(lot_index, auction_day=date(2026, 11, 25))) == expect(
        lambda d: d.auction_day == date(2026, 11, 25)
    )
    assert set(
        await ids(lot_index, q="백자", category_id=2, statuses=["OPEN", "SCHEDULED"], min_price=20_000)
    ) == expect(
        lambda d: (
            "백자" in d.title
            and d.category_id == 2
            and d.status in {"OPEN", "SCHEDULED"}
            and d.price >= 20_000
        )
    )


async def test_every_sort_orders_and_breaks_ties_by_id(lot_index: LotIndex) -> None:
    lots = [*_market(), doc(20, "백자 잔", start_price=30_000, created_at=_market()[2].created_at)]
    await lot_index.put(lots)
    by = {
        SearchSort.NEWEST: sorted(lots, key=lambda d: (d.created_at, d.id), reverse=True),
        SearchSort.PRICE_ASC: sorted(lots, key=lambda d: (d.price, d.id)),
        SearchSort.PRICE_DESC: sorted(lots, key=lambda d: (d.price, d.id), reverse=True),
        SearchSort.BID_COUNT_DESC: sorted(lots, key=lambda d: (d.bid_count, d.id), reverse=True),
        SearchSort.CLOSING_SOON: sorted(lots, key=lambda d: (d.closes_at, d.id)),
    }
    for sort, expected in by.items():
        assert await ids(lot_index, sort=sort) == [d.id for d in expected], sort
    relevance_without_text = await ids(lot_index, sort=SearchSort.RELEVANCE)
    assert relevance_without_text == [d.id for d in by[SearchSort.NEWEST]]


async def test_paging_is_stable_when_every_key_ties(lot_index: LotIndex) -> None:
    same = [
        doc(n, f"백자 접시 {n}", start_price=50_000, created_at=_market()[0].created_at) for n in range(1, 26)
    ]
    await lot_index.put(same)
    for sort in (SearchSort.PRICE_ASC, SearchSort.NEWEST, SearchSort.RELEVANCE):
        pages = [await ids(lot_index, PageRequest(p, 10), q="백자 접시", sort=sort) for p in (1, 2, 3, 4)]
        seen = [i for page in pages for i in page]
        assert sorted(seen) == list(range(1, 26)), sort
        assert [len(p) for p in pages] == [10, 10, 5, 0]
        assert pages[0] == await ids(lot_index, PageRequest(1, 10), q="백자 접시", sort=sort)  # again, same


async def test_facets_count_every_filter_but_their_own(lot_index: LotIndex) -> None:
    lots = _market()
    await lot_index.put(lots)
    query = SearchQuery.of(q="백자", category_id=2, statuses=["OPEN"], max_krw=MAX_KRW)
    hits = await lot_index.search(query, PageRequest(1, 5))
    facets = tally(hits.groups, query)
    white = [d for d in lots if "백자" in d.title]
    by_category: dict[int, int] = {}
    for d in white:
        if d.status == "OPEN":
            by_category[d.category_id] = by_category.get(d.category_id, 0) + 1
    by_status: dict[str, int] = {}
    for d in white:
        if d.category_id == 2:
            by_status[d.status] = by_status.get(d.status, 0) + 1
    assert {f.key: f.count for f in facets.categories} == by_category
    assert {f.key: f.count for f in facets.statuses} == by_status
    matching = [d for d in white if d.category_id == 2 and d.status == "OPEN"]
    assert hits.total == facets.total == len(matching)


async def test_a_search_counts_and_lists_one_moment_while_lots_change(lot_index: LotIndex) -> None:
    """The facets and the items of one answer agree even while the index is being written.

    A lot flips between listed and withdrawn, a new version each time, while searches run: each
    answer must list exactly as many lots as its facets count. (The SQL indexes used to read the
    two in separate snapshots, so a write landing between them gave an answer whose facets
    still counted a lot its items no longer held.)
    """
    await lot_index.put(LOTS)
    stop = asyncio.Event()

    async def churn() -> int:
        version = 0
        while not stop.is_set():
            version += 1
            gone = version % 2 == 1
            status = "WITHDRAWN" if gone else MOON_JAR.status
            await lot_index.put([replace(MOON_JAR, version=version, listed=not gone, status=status)])
            await asyncio.sleep(0)
        return version

    writer = asyncio.create_task(churn())
    try:
        for _ in range(150):
            hits = await lot_index.search(SearchQuery.of(max_krw=MAX_KRW), PageRequest(1, 100))
            assert len(hits.items) == hits.total, f"{len(hits.items)} listed, {hits.total} counted"
    finally:
        stop.set()
        writes = await writer
    assert writes > 10, "the index was written while it was searched"


async def test_a_page_past_the_end_is_empty_but_counted(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    hits = await lot_index.search(SearchQuery.of(q="백자", max_krw=MAX_KRW), PageRequest(5, 10))
    assert (hits.items, hits.total) == ([], 2)


# ------------------------------------------------------------------ housekeeping
async def test_versions_page_through_every_document_in_id_order(lot_index: LotIndex) -> None:
    await lot_index.put([replace(d, version=d.id * 2) for d in _market()])
    first = await lot_index.versions(0, 5)
    rest = await lot_index.versions(first[-1][0], 100)
    assert first + rest == [(n, n * 2) for n in range(1, 13)]
    assert await lot_index.versions(12, 5) == []


async def test_removed_lots_are_forgotten(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    await lot_index.remove([MOON_JAR.id, 999])
    assert await found(lot_index, "달항아리") == set()
    assert [i for i, _ in await lot_index.versions(0, 10)] == [1, 3, 4, 5]


async def test_a_rebuild_replaces_the_index_with_what_it_wrote(lot_index: LotIndex) -> None:
    await lot_index.put(LOTS)
    async with lot_index.rebuild() as writer:
        # the rebuild reads the catalog afresh, in id order: the moon jar is no longer there, the
        # desk was sold meanwhile
        assert await writer.put([CELADON, MIXED, BLUE, replace(DESK, version=7, status="SOLD")]) == 4
        assert await found(lot_index, "달항아리") == {MOON_JAR.id}  # searches are answered throughout
    assert await found(lot_index, "달항아리") == set()
    assert await ids(lot_index, q="책상", statuses=["SOLD"]) == [DESK.id]
    assert await lot_index.versions(0, 10) == [(1, 0), (3, 0), (4, 0), (5, 7)]
    assert await lot_index.put([replace(DESK, version=6)]) == 0  # versions still rule afterwards
