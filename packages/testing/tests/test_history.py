"""The history checker on doctored histories: a clean run passes, and each rule catches its fault."""

import copy
from dataclasses import dataclass, replace

import pytest

from sagopalgo.testing.history import (
    RULES,
    BidAttempt,
    Report,
    SseClient,
    SseConnection,
    StoredBid,
    StreamEvent,
    Truth,
    Try,
    check,
)

LOT = 7


def _bid_event(n: int, amount: int) -> StreamEvent:
    return StreamEvent(f"100{n}-0", "bid", {"lotId": LOT, "amount": amount, "bidCount": n})


@dataclass
class Run:
    attempts: list[BidAttempt]
    truth: Truth
    clients: list[SseClient]

    def check(self, **kwargs: float) -> Report:
        return check(self.attempts, self.truth, self.clients, **kwargs)


def _clean() -> Run:
    """Three bids on one lot: the second needed a retry after its API died; one refusal.

    One SSE client saw the first event, lost its connection, and resumed on the other process.
    """
    a1 = BidAttempt("k1", LOT, 11, 1000, [Try("api-0", 0.0, 0.01, 201, bid_id="b1", amount=1000, lot_id=LOT)])
    a2 = BidAttempt(
        "k2",
        LOT,
        12,
        2000,
        [
            Try("api-0", 0.1, 0.02, None, error="RemoteProtocolError"),
            Try("api-1", 0.2, 0.01, 201, bid_id="b2", amount=2000, lot_id=LOT),
        ],
    )
    a3 = BidAttempt("k3", LOT, 11, 2500, [Try("api-1", 0.3, 0.01, 422, code="BID_TOO_LOW")])
    a4 = BidAttempt(
        "k4",
        LOT,
        11,
        3000,
        [
            Try("api-1", 0.4, 0.5, 503, code="UNAVAILABLE", retry_after="1"),
            Try("api-1", 1.4, 0.01, 201, bid_id="b3", amount=3000, lot_id=LOT),
        ],
    )
    stream = [
        StreamEvent("1000-0", "status", {"lotId": LOT, "status": "OPEN"}),
        _bid_event(1, 1000),
        _bid_event(2, 2000),
        _bid_event(3, 3000),
    ]
    bids = [
        StoredBid("b1", LOT, 1, 11, 1000),
        StoredBid("b2", LOT, 2, 12, 2000),
        StoredBid("b3", LOT, 3, 11, 3000),
    ]
    client = SseClient(
        LOT,
        [
            SseConnection(
                "sse-0",
                None,
                200,
                "1000-0",
                {"currentPrice": 500, "bidCount": 0},
                [stream[1]],
            ),
            SseConnection(
                "sse-1",
                "1001-0",
                200,
                "1001-0",
                {"currentPrice": 1000, "bidCount": 1},
                [stream[2], stream[3]],
            ),
        ],
    )
    return Run(
        [a1, a2, a3, a4],
        Truth(bids, {LOT: stream}, {"catalog": {LOT: (3000, 3)}, "search index": {LOT: (3000, 3)}}),
        [client],
    )


def _only(report: Report, rule: str) -> None:
    broken = {r for r in RULES if report.count(r)}
    assert broken == {rule}, report.summary()


def test_a_clean_history_passes_and_is_counted() -> None:
    report = _clean().check(slow_after=2.0)
    assert report.ok, report.summary()
    assert (report.attempted, report.accepted, report.refused, report.retried) == (4, 3, 1, 2)
    assert (report.indeterminate_tries, report.unavailable, report.stored) == (2, 1, 3)
    assert (report.sse_connections, report.sse_reconnections) == (2, 1)
    assert report.slowest == pytest.approx(0.5)


def test_an_accepted_bid_missing_from_the_database_is_lost() -> None:
    run = _clean()
    run.truth.bids = [b for b in run.truth.bids if b.id != "b2"]
    report = run.check()
    assert report.count("lost") == 1
    assert {r for r in RULES if report.count(r)} == {"lost", "diverged"}


def test_an_accepted_bid_that_never_happened_is_a_phantom() -> None:
    run = _clean()
    run.attempts.append(
        BidAttempt("k9", LOT, 13, 9000, [Try("api-0", 2.0, 0.01, 201, bid_id="b9", amount=9000, lot_id=LOT)])
    )
    _only(run.check(), "phantom")


def test_a_bid_stored_with_another_amount_is_a_mismatch() -> None:
    run = _clean()
    run.truth.bids[0] = replace(run.truth.bids[0], bidder=99)
    report = run.check()
    assert report.count("mismatch") == 1
    _only(report, "mismatch")


def test_one_key_answered_with_two_bids_is_doubled() -> None:
    run = _clean()
    run.attempts[1].tries.append(Try("api-0", 0.5, 0.01, 201, bid_id="b2x", amount=2000, lot_id=LOT))
    report = run.check()
    assert report.count("doubled") == 1
    assert report.count("lost") == 1  # b2x is not stored (its amount is streamed, as b2)


def test_a_bid_id_stored_twice_is_doubled() -> None:
    run = _clean()
    run.truth.bids.append(run.truth.bids[0])
    report = run.check()
    assert report.count("doubled") == 1


def test_a_stored_bid_whose_client_was_refused_is_caught() -> None:
    run = _clean()
    # k3 was told BID_TOO_LOW, but its bid is in the database (and the stream).
    run.truth.bids.append(StoredBid("b4", LOT, 4, 11, 2500))
    report = run.check()
    assert report.count("refused_but_stored") == 1


def test_a_stored_bid_nobody_asked_for_is_unexplained() -> None:
    run = _clean()
    run.truth.bids.append(StoredBid("b5", LOT, 4, 14, 4000))
    run.truth.streams[LOT].append(_bid_event(4, 4000))
    run.clients[0].connections[1].events.append(run.truth.streams[LOT][-1])
    run.truth.copies = {holder: {LOT: (4000, 4)} for holder in run.truth.copies}
    _only(run.check(), "unexplained")


def test_a_house_bid_for_a_maximum_needs_no_request() -> None:
    run = _clean()
    run.truth.bids.append(StoredBid("b5", LOT, 4, 14, 4000, proxy=True))
    run.truth.streams[LOT].append(_bid_event(4, 4000))
    run.clients[0].connections[1].events.append(run.truth.streams[LOT][-1])
    run.truth.copies = {holder: {LOT: (4000, 4)} for holder in run.truth.copies}
    assert run.check().ok


def test_a_key_left_without_a_definitive_answer_is_unresolved() -> None:
    run = _clean()
    run.attempts[1].tries.pop()  # only the broken connection remains
    report = run.check()
    assert report.count("unresolved") == 1
    # b2 exists, and nobody was told: the one client that might have been told is unresolved.
    assert {r for r in RULES if report.count(r)} == {"unresolved"}


@pytest.mark.parametrize(
    "answer",
    [
        Try("api-0", 0.0, 0.01, 500, code="INTERNAL_ERROR"),
        Try("api-0", 0.0, 0.01, 503, code="UNAVAILABLE"),  # no Retry-After
        Try("api-0", 0.0, 0.01, 502),
        Try("api-0", 0.0, 0.01, 409),  # a 4xx without a problem code
    ],
    ids=["500", "503-without-retry-after", "502", "4xx-without-code"],
)
def test_anything_but_a_proper_503_or_a_coded_4xx_is_a_bad_answer(answer: Try) -> None:
    run = _clean()
    run.attempts[2].tries.insert(0, answer)
    report = run.check()
    assert report.count("bad_answer") == 1


def test_an_answer_slower_than_the_limit_is_slow() -> None:
    run = _clean()
    assert run.check(slow_after=0.6).ok
    _only(run.check(slow_after=0.4), "slow")


def test_amounts_going_back_in_gate_order_are_disorder() -> None:
    run = _clean()
    bids = run.truth.bids
    run.truth.bids = [replace(bids[0], seq=2), replace(bids[1], seq=1), bids[2]]
    report = run.check()
    assert report.count("disorder") == 1
    assert report.count("diverged") == 1  # the stream still has them in order


def test_a_stream_with_a_gap_in_its_counts_is_disorder() -> None:
    run = _clean()
    stream = run.truth.streams[LOT]
    stream[3] = StreamEvent(stream[3].id, "bid", {**stream[3].data, "bidCount": 4})
    run.clients[0].connections[1].events[1] = stream[3]
    assert run.check().count("disorder") == 1


def test_a_bid_streamed_but_not_stored_has_diverged() -> None:
    run = _clean()
    # Nobody was told of it (a request that timed out and gave up would be "unresolved").
    run.truth.streams[LOT].append(_bid_event(4, 4000))
    run.clients[0].connections[1].events.append(run.truth.streams[LOT][-1])
    run.truth.copies = {holder: {LOT: (4000, 4)} for holder in run.truth.copies}
    _only(run.check(), "diverged")


def test_a_price_going_back_on_a_connection_is_backwards() -> None:
    run = _clean()
    conn = run.clients[0].connections[1]
    conn.snapshot = {"currentPrice": 2500, "bidCount": 1}  # ahead of the bid that follows
    report = run.check()
    assert report.count("backwards") == 1
    assert report.count("snapshot") == 1  # and the snapshot disagrees with the stream


def test_an_event_twice_on_a_connection_is_repeated() -> None:
    run = _clean()
    conn = run.clients[0].connections[1]
    conn.events.append(conn.events[-1])
    report = run.check()
    assert report.count("repeated") >= 1
    assert report.count("missed") == 0


def test_an_event_replayed_twice_across_reconnections_is_repeated() -> None:
    run = _clean()
    second = run.clients[0].connections[1]
    run.clients[0].connections[1] = replace(
        second,
        last_event_id="1000-0",
        snapshot_id="1000-0",
        snapshot={"currentPrice": 500, "bidCount": 0},
        events=[run.truth.streams[LOT][1], *second.events],
    )
    _only(run.check(), "repeated")


def test_a_reconnection_that_skips_an_event_missed_it() -> None:
    run = _clean()
    run.clients[0].connections[1].events.pop(0)
    report = run.check()
    assert report.count("missed") == 1


def test_a_client_that_stopped_early_missed_the_rest() -> None:
    run = _clean()
    run.clients[0].connections.pop()
    _only(run.check(), "missed")


def test_a_reconnection_whose_snapshot_is_not_where_it_asked_is_caught() -> None:
    run = _clean()
    run.clients[0].connections[1].snapshot_id = "1002-0"
    assert run.check().count("snapshot") >= 1


def test_a_snapshot_that_disagrees_with_the_stream_is_caught() -> None:
    run = _clean()
    run.clients[0].connections[1].snapshot = {"currentPrice": 900, "bidCount": 1}
    _only(run.check(), "snapshot")


def test_doctoring_a_copy_leaves_the_clean_run_clean() -> None:
    """The builder hands out fresh objects: no test above leaked into another."""
    run = _clean()
    copy.deepcopy(run).truth.bids.clear()
    assert run.check().ok


def test_reads_and_sse_connections_are_judged_as_answers() -> None:
    run = _clean()
    read = Try("api-0", 0.0, 0.01, 500, code="INTERNAL_ERROR")
    assert check(run.attempts, run.truth, run.clients, reads=[read]).count("bad_answer") == 1
    run.clients[0].connections[1].elapsed = 9.0
    report = check(run.attempts, run.truth, run.clients, slow_after=5.0)
    _only(report, "slow")
    refused = SseConnection("sse-1", "1001-0", 503, code="UNAVAILABLE", retry_after="1")
    run.clients[0].connections.insert(1, refused)
    assert run.check().ok, "a 503 with Retry-After on a reconnection is a proper answer"
    refused.retry_after = None
    _only(run.check(), "bad_answer")


@pytest.mark.parametrize("holder", ["catalog", "search index"])
def test_a_copy_behind_the_stream_is_stale(holder: str) -> None:
    run = _clean()
    run.truth.copies[holder][LOT] = (2000, 2)
    report = run.check()
    _only(report, "stale_copy")
    assert holder in report.violations["stale_copy"][0]
