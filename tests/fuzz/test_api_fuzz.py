"""Schemathesis against the API's own OpenAPI document, as each kind of caller in turn.

The callers share one seeded market and one running app: nobody, the winner of two awards (who
also bids), the seller of the lots (one open, one still editable), and an admin, last, because an
admin's fuzzing may withdraw lots and delete categories.
"""

import schemathesis
from litestar import Litestar

from sagopalgo.testing.fuzz import CHECKS, EXAMPLES, fuzz_config, run
from tests.fuzz.market import Market

CALLERS = ("anonymous", "winner", "seller", "admin")


def test_every_answer_keeps_the_contract(api_app: Litestar, market: Market) -> None:
    found: list[str] = []
    for caller in CALLERS:
        token = market.tokens.get(caller)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        config = fuzz_config(headers=headers, max_examples=EXAMPLES)
        tally = run(schemathesis.openapi.from_asgi("/schema/openapi.json", api_app, config=config))
        print(f"\n{caller}: {tally.summary()}")
        assert set(tally.checks) == set(CHECKS), (caller, tally.checks)
        if tally.findings or tally.errors:
            found.append(f"as {caller} (seed {tally.seed}):\n{tally.report()}")
    assert not found, "\n\n".join(found)
