"""Faults under a bid storm: processes die and dependencies fail while bidders bid and SSE clients watch.

Two ``serve api`` and two ``serve sse`` processes on a private MariaDB and a private Redis take a
storm of bids on four lots (forty bidders; anonymous readers beside them) with sixteen SSE
clients attached across both SSE processes, while, one after another: an API process is
SIGKILLed (and replaced), Redis restarts, MariaDB stops for ten seconds, MariaDB freezes
(SIGSTOP) for longer than any request may wait, and an SSE process is SIGKILLed with clients
attached. Then the history checker (``sagopalgo.testing.history``) compares every answer and
every stream with the database and the lot streams. What must hold:

- no accepted bid lost, doubled or phantom; no bid stored that its client was told was refused;
  amounts strictly increasing in gate order; the database and the streams agree;
- every answer a 2xx, a 4xx with a problem code, or a 503 ``UNAVAILABLE`` with ``Retry-After``,
  and none slower than the settings' timeouts allow (``answer_budget``) plus a margin for a busy
  box; nothing in the services' logs at ERROR beyond what an outage is allowed to log;
- every SSE connection's prices only go up, with no event twice; every client that reconnected
  with ``Last-Event-ID`` ended with exactly its lot's events;
- each fault really happened (its outage shows in the answers) and the services recovered by
  themselves: ready again, taking bids, and the bid-log writers caught up.

The figures (answers per fault, the slowest, recovery times) are printed; ``bench/faults.py`` runs
the same scenario longer, beside a run without faults.
"""

from pathlib import Path

import pytest

from sagopalgo.testing.faults import SCENARIO_ENV, Plan, answer_budget, any_problem, run

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]

MARGIN_S = 4.0
"""Beyond the settings' timeouts: four services, two servers and the clients share two cores."""


async def test_faults_under_a_bid_storm_lose_nothing_and_heal_themselves(tmp_path: Path) -> None:
    plan = Plan(slow_after=answer_budget(SCENARIO_ENV) + MARGIN_S)
    assert plan.mariadb_frozen_s > plan.slow_after, "a hang would outlast the limit, and be caught"
    outcome = await run(plan, tmp_path)
    report = outcome.report
    print(report.summary())
    for figures in outcome.faults:
        print(figures.line())

    assert any_problem(outcome) == {}, report.summary()
    assert report.accepted >= 200, "a real storm, not a trickle"
    assert report.sse_reconnections >= 1
    faults = {f.name: f for f in outcome.faults}
    assert set(faults) == {"api-kill", "redis-restart", "mariadb-stop", "mariadb-freeze", "sse-kill"}
    # Each fault was felt: broken connections, 503s, clients cut off.
    assert sum(n for k, n in faults["api-kill"].answers.items() if k.endswith("Error")) >= 1
    for name in ("redis-restart", "mariadb-stop", "mariadb-freeze"):
        assert faults[name].answers["503"] >= 1, faults[name].line()
    # ... and healed by itself: ready, taking bids, every streamed bid stored.
    for name in ("redis-restart", "mariadb-stop", "mariadb-freeze"):
        f = faults[name]
        assert None not in (f.ready_s, f.first_bid_s, f.written_s), f.line()
    assert faults["api-kill"].ready_s is not None, "the replacement API became ready"
    assert faults["sse-kill"].reconnected_s is not None, "the killed SSE process's clients came back"
