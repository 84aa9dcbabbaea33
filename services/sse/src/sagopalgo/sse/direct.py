"""Writing a stream's events straight to its connection, once the snapshot has gone out by ASGI.

bench/sse.py at 10,000 connections on one lot spent ~20 µs of CPU per connection per event, over
half of it in Python: each event woke 10,000 tasks, and each task's write went through four
``send`` wrappers (Litestar's hooks, the exception middleware, the request-id middleware, uvicorn's
cycle) before reaching the transport. The fan-out is a loop over connections that all get the same
bytes; here it is one call per connection that frames the chunk (once per event, shared) and
writes it.

uvicorn does not expose a request's transport to the app, so the SSE service runs a subclass of
its httptools protocol that names the transport in the request's ``scope["extensions"]`` (the ASGI
place for server extras). Where it is missing (a test client, another server) the stream falls back
to ASGI ``send``: same bytes, same order. The bound that keeps a slow client from growing our
memory is the transport's own write buffer: past ``limit`` bytes the connection is aborted and the
client reconnects with ``Last-Event-ID`` to replay what it missed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["LAST_CHUNK", "TRANSPORT", "DirectSink", "TransportInScope", "chunk", "transport_of"]

TRANSPORT = "sagopalgo.transport"
LAST_CHUNK = b"0\r\n\r\n"
"""What ends a chunked HTTP/1.1 body."""


class TransportInScope(HttpToolsProtocol):
    """uvicorn's httptools protocol, naming each request's transport in ``scope["extensions"]``."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions: dict[str, Any] = {TRANSPORT: self.transport}
        self.scope["extensions"] = extensions


def transport_of(scope: Any) -> asyncio.Transport | None:
    """The request's transport, if the server named it (uvloop's are not ``asyncio.Transport``)."""
    transport = (scope.get("extensions") or {}).get(TRANSPORT)
    return transport if callable(getattr(transport, "write", None)) else None


class _LastChunk:
    body: bytes | None = None
    framed = b""


def chunk(body: bytes) -> bytes:
    """``body`` as one HTTP/1.1 chunk; a fan-out frames each event once for all its connections."""
    last = _LastChunk
    if last.body is not body:
        last.body, last.framed = body, b"%x\r\n%b\r\n" % (len(body), body)
    return last.framed


class DirectSink:
    """Write each item (``None``: the heartbeat) as a chunk; ``False`` once the client is gone.

    A client too far behind is aborted: its buffer is freed, and it reconnects and replays.
    """

    __slots__ = ("_heartbeat", "_limit", "_transport")

    def __init__(self, transport: asyncio.Transport, heartbeat: bytes, limit: int) -> None:
        self._transport, self._heartbeat, self._limit = transport, heartbeat, limit

    def __call__(self, item: bytes | None) -> bool:
        transport = self._transport
        if transport.is_closing():
            return False
        if transport.get_write_buffer_size() > self._limit:
            transport.abort()
            return False
        transport.write(chunk(self._heartbeat if item is None else item))
        return True

    def end(self) -> None:
        """End the response in good order (the stream has nothing more) and close the connection.

        The client sees a complete body, not a broken one, and reconnects as it would after any
        end of stream; the server's own cycle learns of it as a client that left.
        """
        transport = self._transport
        if not transport.is_closing():
            transport.write(LAST_CHUNK)
            transport.close()
