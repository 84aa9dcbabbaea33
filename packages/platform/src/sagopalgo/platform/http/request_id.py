"""``X-Request-ID`` on every response (echoed when the client sent a sane one) and in every log line."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from sagopalgo.platform.logs import request_id_var

__all__ = ["HEADER", "RequestContextMiddleware", "add_request_id_header", "request_id_for"]

HEADER = "x-request-id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_access = logging.getLogger("sagopalgo.access")


def request_id_for(scope: Any) -> str:
    """The request's id: the client's if well formed, else a new one; stable for the whole request."""
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid:
        return str(rid)
    sent = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == HEADER.encode()), "")
    rid = sent if _VALID.match(sent) else uuid.uuid4().hex
    state["request_id"] = rid
    return rid


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """``before_send`` hook: runs for every response, unknown routes included."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[HEADER] = request_id_for(scope)


class RequestContextMiddleware(ASGIMiddleware):
    """Bind the request id to the logging context and write one access line per request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        rid = request_id_for(scope)
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, _send)
        finally:
            _access.info(
                "%s %s %s",
                scope.get("method", ""),
                scope.get("path", ""),
                status,
                extra={"status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 2)},
            )
            request_id_var.reset(token)
