"""Schemathesis against the SSE service's own OpenAPI document (anyone may listen)."""

import schemathesis
from litestar import Litestar

from sagopalgo.testing.fuzz import CHECKS, EXAMPLES, fuzz_config, run


def test_every_answer_keeps_the_contract(sse_app: Litestar) -> None:
    config = fuzz_config(headers={}, max_examples=EXAMPLES, streams=True)
    tally = run(schemathesis.openapi.from_asgi("/schema/openapi.json", sse_app, config=config))
    print(f"\n{tally.summary()}")
    assert set(tally.checks) == set(CHECKS), tally.checks
    assert not tally.findings, f"seed {tally.seed}:\n{tally.report()}"
    assert not tally.errors, f"seed {tally.seed}:\n{tally.report()}"
