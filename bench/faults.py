"""The fault scenario, longer, against the real services, beside a run without faults.

    uv run --locked python bench/faults.py [--bidders 60] [--lots 6] [--between 10] [--frozen 20]

Starts a private MariaDB and a private Redis, two ``serve api`` and two ``serve sse`` processes,
and runs ``sagopalgo.testing.faults`` (what ``tests/faults/test_faults.py`` runs short): a bid
storm with SSE clients on both SSE processes while an API process is SIGKILLed, Redis restarts,
MariaDB stops for ten seconds, MariaDB freezes (SIGSTOP) and an SSE process is SIGKILLed. Then the
same storm for as long without faults, on fresh servers, for the throughput to compare with.

Prints bids attempted, accepted, lost (must be 0), doubled (0) and phantom (0); per fault, its
answers (503s among them), the slowest answer during the outage, and how long recovery took:
ready again, the first accepted bid, the bid-log writers caught up (from the moment the fault
healed), an SSE process's clients reconnected, a replacement process ready; and the load of the
box, which the figures depend on. Exits 1 if the history checker or the logs found anything.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from sagopalgo.testing.faults import SCENARIO_ENV, Outcome, Plan, answer_budget, any_problem, run

MARGIN_S = 4.0


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def show(title: str, outcome: Outcome) -> None:
    report = outcome.report
    print(f"\n== {title}: storm {outcome.storm_s:.1f} s, {outcome.tries} requests")
    print(
        f"bids attempted {report.attempted}, accepted {report.accepted} "
        f"({outcome.accepted_per_s:.1f}/s), refused {report.refused}, "
        f"lost {report.count('lost')}, doubled {report.count('doubled')}, phantom {report.count('phantom')}, "
        f"unresolved {report.count('unresolved')}; retried keys {report.retried}, 503s {report.unavailable}; "
        f"slowest answer {report.slowest:.2f} s"
    )
    print(
        f"SSE: {report.sse_connections} connections ({report.sse_reconnections} reconnections), "
        f"missed {report.count('missed')}, repeated {report.count('repeated')}, "
        f"backwards {report.count('backwards')}"
    )
    for figures in outcome.faults:
        print("  " + figures.line())
    problems = any_problem(outcome)
    for rule, found in problems.items():
        print(f"  !! {rule}: {len(found)}: {found[:3]}")
    if not problems:
        print("  history checker: every rule holds; service logs: nothing unexpected")


async def main(args: argparse.Namespace) -> int:
    logging.getLogger("asyncmy").setLevel(logging.ERROR)  # the migrations' notes on a fresh server
    limit = answer_budget(SCENARIO_ENV) + MARGIN_S
    common = {
        "bidders": args.bidders,
        "lots": args.lots,
        "sse_per_lot": args.sse_per_lot,
        "readers": args.readers,
        "slow_after": limit,
    }
    print(f"{load()} before the runs; answers slower than {limit:.0f} s count as hangs")
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as work:
        started = time.monotonic()
        faulted = await run(
            Plan(
                warm_s=args.between,
                between_s=args.between,
                redis_down_s=args.redis_down,
                mariadb_down_s=args.mariadb_down,
                mariadb_frozen_s=args.frozen,
                **common,
            ),
            Path(work) / "faults",
        )
        show("with faults", faulted)
        print(f"({time.monotonic() - started:.0f} s with start-up; {load()})")
        baseline = await run(Plan(faults=(), baseline_s=faulted.storm_s, **common), Path(work) / "baseline")
        show("baseline, no faults", baseline)
    ratio = faulted.accepted_per_s / baseline.accepted_per_s if baseline.accepted_per_s else float("nan")
    rates = (faulted.tries / faulted.storm_s, baseline.tries / baseline.storm_s)
    print(
        f"\naccepted bids/s with faults {faulted.accepted_per_s:.1f} vs {baseline.accepted_per_s:.1f} "
        f"without ({ratio:.0%}); requests/s {rates[0]:.1f} vs {rates[1]:.1f}"
    )
    print(load() + " after the runs")
    return 1 if any_problem(faulted) or any_problem(baseline) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bidders", type=int, default=60)
    parser.add_argument("--lots", type=int, default=6)
    parser.add_argument("--sse-per-lot", type=int, default=5)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument(
        "--between", type=float, default=10.0, help="normal load before and after each fault (s)"
    )
    parser.add_argument("--redis-down", type=float, default=5.0, help="how long Redis stays down (s)")
    parser.add_argument("--mariadb-down", type=float, default=10.0, help="how long MariaDB stays down (s)")
    parser.add_argument("--frozen", type=float, default=20.0, help="how long MariaDB stays frozen (s)")
    sys.exit(asyncio.run(main(parser.parse_args())))
