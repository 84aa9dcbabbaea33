"""The OpenAPI document lists every endpoint with its error responses; logs are JSON with request ids."""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sagopalgo.platform.logs import JsonFormatter, configure_logging
from sagopalgo.platform.settings import load_settings
from sagopalgo.sse.app import create_app as create_sse_app
from tests.integration.helpers import PASSWORD, bearer, new_identity

EXPECTED = {
    ("/api/v1/accounts", "post"): {"201", "400", "409", "429"},
    ("/api/v1/auth/token", "post"): {"200", "400", "401", "429"},
    ("/api/v1/auth/refresh", "post"): {"200", "400", "401", "429"},
    ("/api/v1/auth/logout", "post"): {"204", "400", "401"},
    ("/api/v1/me", "get"): {"200", "401"},
    ("/api/v1/categories", "get"): {"200"},
    ("/api/v1/categories", "post"): {"201", "400", "401", "403", "409", "422"},
    ("/api/v1/categories/{category_id}", "patch"): {"200", "400", "403", "404", "409"},
    ("/api/v1/categories/{category_id}", "delete"): {"204", "400", "403", "404", "409"},
    ("/api/v1/uploads/images", "post"): {"201", "400", "401", "409", "413", "415", "422"},
    ("/api/v1/lots", "post"): {"201", "400", "401", "409", "422"},
    ("/api/v1/lots", "get"): {"200", "400"},
    ("/api/v1/lots/featured", "get"): {"200", "400"},
    ("/api/v1/lots/{lot_id}", "get"): {"200", "400", "404"},
    ("/api/v1/lots/{lot_id}", "patch"): {"200", "400", "403", "404", "409", "422"},
    ("/api/v1/lots/{lot_id}", "delete"): {"204", "400", "403", "404", "409"},
    ("/api/v1/lots/{lot_id}/relist", "post"): {"200", "400", "403", "404", "409", "422"},
    ("/api/v1/me/lots", "get"): {"200", "401"},
    ("/api/v1/lots/{lot_id}/bids", "post"): {"201", "400", "401", "403", "404", "409", "422", "429"},
    ("/api/v1/lots/{lot_id}/bids", "get"): {"200", "400", "404"},
    ("/api/v1/me/bids", "get"): {"200", "401"},
    ("/api/v1/me/awards", "get"): {"200", "401"},
    ("/api/v1/awards/{award_id}/checkout", "post"): {"201", "400", "401", "403", "404", "409", "422", "503"},
    ("/api/v1/payments/confirm", "post"): {"200", "400", "401", "402", "403", "404", "409", "422", "503"},
    ("/api/v1/payments/webhooks/toss", "post"): {"200", "400"},
    ("/api/v1/admin/payments/{order_id}/refund", "post"): {"200", "400", "401", "403", "404", "409", "503"},
    ("/api/v1/search/lots", "get"): {"200", "400", "503"},
    ("/health/search-indexer", "get"): {"200"},
    ("/health/live", "get"): {"200"},
    ("/health/ready", "get"): {"200", "503"},
}


async def test_openapi_lists_every_endpoint_with_its_errors(api: AsyncTestClient[Any]) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    for (path, method), statuses in EXPECTED.items():
        operation = schema["paths"][path][method]
        assert statuses <= set(operation["responses"]), (path, method, operation["responses"].keys())
    problem = schema["paths"]["/api/v1/accounts"]["post"]["responses"]["409"]["content"]
    assert "application/problem+json" in problem
    assert "BearerToken" in json.dumps(schema.get("components", {}).get("securitySchemes", {}))
    assert (await api.get("/schema")).status_code == 200


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items() if m in methods]


async def test_the_document_describes_every_refusal_as_a_problem(api: AsyncTestClient[Any]) -> None:
    """What fuzzing the document found, as rules over all of it, so a new handler cannot regress.

    Litestar documents a 400 of its own (``application/json``) for a handler with parameters that
    declares none; idempotent POSTs answer 409/422 from the middleware, which no handler saw; and
    the bearer requirement, set for the whole document, claimed that browsing needs a token.
    """
    sse = create_sse_app(load_settings({}, database_url=api.app.state.settings.database_url))
    documents = [(await api.get("/schema/openapi.json")).json(), sse.openapi_schema.to_schema()]
    for schema in documents:
        assert "security" not in schema
        for method, path, operation in _operations(schema):
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            for status, response in responses.items():
                if status.startswith("4"):
                    assert list(response.get("content", {})) == ["application/problem+json"], (where, status)
            if operation.get("parameters") or "requestBody" in operation:
                assert "400" in responses, where
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
                assert {"409", "422"} <= set(responses), where
            assert (operation.get("security") is not None) == ("401" in responses) or path.startswith(
                "/api/v1/auth/"
            ), where
    paths = documents[0]["paths"]
    assert "security" not in paths["/api/v1/lots"]["get"]
    assert paths["/api/v1/lots"]["post"]["security"] == [{"BearerToken": []}]


async def test_log_lines_are_json_and_carry_the_request_id(api: AsyncTestClient[Any]) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    access = logging.getLogger("sagopalgo.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        await api.post("/api/v1/accounts", json=new_identity(), headers={"X-Request-ID": "trace-me-42"})
    finally:
        access.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(
        line["request_id"] == "trace-me-42"
        and line["status"] == 201
        and line["msg"].startswith("POST /api/v1/accounts")
        for line in lines
    ), lines
    assert all("password" not in json.dumps(line) for line in lines)


@contextmanager
def _logging_as_served(level: str) -> Iterator[None]:
    """``configure_logging`` as ``sagopalgo serve`` calls it; every logger put back afterwards."""
    manager = logging.Logger.manager
    levels = {name: lg.level for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    configure_logging(level, "json", service="test")
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, root_level
        for name, lg in manager.loggerDict.items():
            if isinstance(lg, logging.Logger):
                lg.setLevel(levels.get(name, logging.NOTSET))


async def test_even_at_debug_no_sql_reaches_the_logs(
    api: AsyncTestClient[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The original ran production with SQL logging on (defect 32): statements and their values
    (password and token hashes among them) in the logs. ``LOG_LEVEL=DEBUG`` is for our own code;
    the database driver and SQLAlchemy stay quiet whatever it is."""
    ident = new_identity()
    with _logging_as_served("DEBUG"):
        assert logging.getLogger("sagopalgo").isEnabledFor(logging.DEBUG)
        assert (await api.post("/api/v1/accounts", json=ident)).status_code == 201
        pair = await api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
        assert (await api.get("/api/v1/me", headers=bearer(pair.json()["accessToken"]))).status_code == 200
        assert (await api.get("/api/v1/lots")).status_code == 200
        logging.getLogger("sagopalgo.test").debug("our own debug line")
    out = capsys.readouterr().out
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(r["msg"] == "our own debug line" for r in records)
    for word in ("SELECT", "INSERT INTO", "UPDATE accounts", "$argon2", ident["email"]):
        assert word not in out, word
