"""The OpenAPI document lists every endpoint with its error responses; logs are JSON with request ids."""

import io
import json
import logging
from typing import Any

from litestar.testing import AsyncTestClient

from sagopalgo.platform.logs import JsonFormatter
from tests.integration.helpers import new_identity

EXPECTED = {
    ("/api/v1/accounts", "post"): {"201", "400", "409", "429"},
    ("/api/v1/auth/token", "post"): {"200", "400", "401", "429"},
    ("/api/v1/auth/refresh", "post"): {"200", "400", "401", "429"},
    ("/api/v1/auth/logout", "post"): {"204", "400", "401"},
    ("/api/v1/me", "get"): {"200", "401"},
    ("/api/v1/categories", "get"): {"200"},
    ("/api/v1/categories", "post"): {"201", "400", "401", "403", "409"},
    ("/api/v1/categories/{category_id}", "patch"): {"200", "400", "403", "404", "409"},
    ("/api/v1/categories/{category_id}", "delete"): {"204", "403", "404", "409"},
    ("/api/v1/uploads/images", "post"): {"201", "400", "401", "413", "415"},
    ("/api/v1/lots", "post"): {"201", "400", "401", "422"},
    ("/api/v1/lots", "get"): {"200", "400"},
    ("/api/v1/lots/featured", "get"): {"200", "400"},
    ("/api/v1/lots/{lot_id}", "get"): {"200", "404"},
    ("/api/v1/lots/{lot_id}", "patch"): {"200", "400", "403", "404", "409", "422"},
    ("/api/v1/lots/{lot_id}", "delete"): {"204", "403", "404", "409"},
    ("/api/v1/lots/{lot_id}/relist", "post"): {"200", "400", "403", "404", "409"},
    ("/api/v1/me/lots", "get"): {"200", "401"},
    ("/api/v1/lots/{lot_id}/bids", "post"): {"201", "400", "401", "403", "404", "409", "422"},
    ("/api/v1/lots/{lot_id}/bids", "get"): {"200", "400", "404"},
    ("/api/v1/me/bids", "get"): {"200", "401"},
    ("/api/v1/me/awards", "get"): {"200", "401"},
    ("/api/v1/awards/{award_id}/checkout", "post"): {"201", "401", "403", "404", "409", "503"},
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
