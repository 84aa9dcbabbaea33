"""Just enough ASGI for the fake: read a body, answer JSON, decode leniently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from sagopalgo.payments.adapters.fake_toss.ledger import TossError

__all__ = ["Receive", "Send", "decode", "encode", "read_body", "respond"]

Send = Callable[[dict[str, Any]], Any]
Receive = Callable[[], Any]


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def decode(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body) if body else None
    except msgspec.DecodeError as exc:
        raise TossError("INVALID_REQUEST") from exc


def encode(value: Any) -> bytes:
    return msgspec.json.encode(value)


async def respond(send: Send, status: int, body: bytes, content_type: str = "application/json") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
