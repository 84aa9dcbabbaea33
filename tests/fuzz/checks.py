"""What every fuzzed response must satisfy, beyond the schema: API.md's error shape."""

from typing import Any

import schemathesis

PROBLEM = "application/problem+json"


def problem_document(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any
) -> bool | None:
    """Every 4xx is an RFC 9457 problem document with the stable ``code`` clients branch on.

    Schemathesis's convention: ``True`` means the check does not apply, ``None`` that it passed.
    """
    if not 400 <= response.status_code < 500:
        return True
    media = response.headers.get("content-type", [""])[0]
    assert media.startswith(PROBLEM), f"{response.status_code} answered with {media!r}, not {PROBLEM}"
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("status") == response.status_code, body
    assert isinstance(body.get("code"), str), f"no code in {body}"
    assert body["code"], f"an empty code in {body}"
    return None
