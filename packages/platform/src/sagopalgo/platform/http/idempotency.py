"""``Idempotency-Key`` for the POSTs that create or pay (API.md, Conventions).

Handlers opt in with ``opt={"idempotent": True}``; the middleware then keys the request by the
signed-in caller and the header, fingerprints method, path, query and body, and either replays the
stored first response, refuses (another body: 422 ``IDEMPOTENCY_KEY_REUSED``; the first still
running: 409 ``IDEMPOTENCY_KEY_IN_USE``), or runs the handler and stores a successful answer.
Keys are per caller, so one user's key can never return another user's response; anonymous
requests are not keyed. Bids do not use this: the bid gate keeps its keys in its own atomic step.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from sagopalgo.kernel.errors import IdempotencyKeyInUse, IdempotencyKeyReused, Invalid
from sagopalgo.kernel.identity import Principal
from sagopalgo.platform.idempotency import IdempotencyStore, InUse, Mismatch, StoredResponse

__all__ = ["IdempotencyMiddleware", "idempotent"]

HEADER = b"idempotency-key"
REPLAYED = b"idempotent-replayed"
KEEP_SECONDS = 24 * 3600
RUNNING_SECONDS = 60
MAX_STORED_BODY = 256 * 1024
_REPLAYED_HEADERS = {b"content-type", b"location"}

idempotent: dict[str, Any] = {"idempotent": True}
"""``opt=idempotent`` on a route handler turns the header on for it."""


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers", ()) if k == name), None)


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope.get("route_handler")
        if handler is None or not handler.opt.get("idempotent"):  # most routes: one dict lookup
            await next_app(scope, receive, send)
            return
        raw_key = _header(scope, HEADER)
        user = scope.get("user")
        if raw_key is None or not isinstance(user, Principal):
            await next_app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not 1 <= len(key) <= 64:
            raise Invalid("Idempotency-Key must be 1 to 64 characters.", field="Idempotency-Key")
        store: IdempotencyStore = scope["litestar_app"].state.idempotency

        messages: list[ReceiveMessage] = []
        body = bytearray()
        while True:  # read the body once (bounded by Litestar's request limit), replay it to the app
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message["body"]
            if not message.get("more_body", False):
                break
        digest = hashlib.sha256()
        for part in (str(scope.get("method", "")).encode(), scope["path"].encode(), scope["query_string"]):
            digest.update(part + b"\0")
        digest.update(bytes(body))
        fingerprint = digest.hexdigest()
        stored_key = f"{user.user_id}:{key}"

        outcome = await store.claim(stored_key, fingerprint, running_ttl_s=RUNNING_SECONDS)
        if isinstance(outcome, Mismatch):
            raise IdempotencyKeyReused()
        if isinstance(outcome, InUse):
            raise IdempotencyKeyInUse()
        if isinstance(outcome, StoredResponse):
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in outcome.headers]
            await send(
                {
                    "type": "http.response.start",
                    "status": outcome.status,
                    "headers": [*headers, (REPLAYED, b"true")],
                }
            )
            await send({"type": "http.response.body", "body": outcome.body, "more_body": False})
            return
        pending = list(messages)

        async def replay() -> ReceiveMessage:
            return pending.pop(0) if pending else await receive()

        start: dict[str, Any] = {}
        sent = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and len(sent) <= MAX_STORED_BODY:
                sent.extend(message.get("body", b""))
            await send(message)

        stored = False
        try:
            await next_app(scope, replay, capture)
            status = int(start.get("status", 500))
            if 200 <= status < 300 and len(sent) <= MAX_STORED_BODY:
                kept = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in start.get("headers", ())
                    if k.lower() in _REPLAYED_HEADERS
                ]
                await store.complete(
                    stored_key, fingerprint, StoredResponse(status, kept, bytes(sent)), ttl_s=KEEP_SECONDS
                )
                stored = True
        finally:
            if not stored:
                await store.release(stored_key, fingerprint)
