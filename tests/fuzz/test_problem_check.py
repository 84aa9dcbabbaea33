"""The fuzzers' own check refuses what API.md forbids (a check that cannot fail would hide findings)."""

import json
from typing import Any

import pytest
import requests
import schemathesis

from sagopalgo.testing.fuzz import problem_document


def _response(status: int, media: str, body: Any) -> schemathesis.Response:
    return schemathesis.Response(
        status_code=status,
        headers={"content-type": [media]},
        content=json.dumps(body).encode(),
        request=requests.Request("GET", "http://testserver/").prepare(),
        elapsed=0.0,
        verify=True,
    )


PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("status", "media", "body"),
    [
        (404, "application/json", {"status": 404, "code": "NOT_FOUND"}),
        (400, PROBLEM, {"status": 400}),
        (409, PROBLEM, {"status": 409, "code": ""}),
        (422, PROBLEM, {"status": 400, "code": "VALIDATION_FAILED"}),
        (403, PROBLEM, ["FORBIDDEN"]),
    ],
)
def test_a_client_error_that_is_no_problem_document_with_a_code_fails(
    status: int, media: str, body: Any
) -> None:
    with pytest.raises(AssertionError):
        problem_document(None, _response(status, media, body), None)  # type: ignore[arg-type]


def test_a_problem_document_passes_and_other_answers_are_not_judged() -> None:
    good = _response(409, f"{PROBLEM}; charset=utf-8", {"status": 409, "code": "BID_TOO_LOW"})
    assert problem_document(None, good, None) is None  # type: ignore[arg-type]
    assert problem_document(None, _response(201, "application/json", {}), None) is True  # type: ignore[arg-type]
