"""A bound on the request head, enforced by the HTTP server before the app sees the request.

uvicorn's httptools protocol (what ``serve`` runs) puts no limit on a request's head: a client may
send megabytes of header lines, or tens of thousands of them, and each is kept in memory until
the head ends (h11, uvicorn's other protocol, stops at 16 KiB with a bare 400). Here the head —
request line and header lines — is counted as it arrives; past ``MAX_REQUEST_HEAD_BYTES`` bytes or
``MAX_REQUEST_HEADERS`` lines the server answers 431 ``HEADERS_TOO_LARGE`` (a problem document with
the usual security headers and a request id) and closes the connection. No middleware, guard,
authentication or handler runs for it; the app never sees the request.
"""

from __future__ import annotations

import logging
import uuid
from email.utils import formatdate
from typing import Any, ClassVar

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sagopalgo.platform.http.problems import PROBLEM_MEDIA_TYPE, problem_body
from sagopalgo.platform.http.security import SecurityHeaders
from sagopalgo.platform.logs import request_id_var
from sagopalgo.platform.settings import Settings

__all__ = ["CODE", "bounded_head"]

CODE = "HEADERS_TOO_LARGE"
LINGER_SECONDS = 2.0
_access = logging.getLogger("sagopalgo.access")


class _BoundedHead(HttpToolsProtocol):
    max_head_bytes: ClassVar[int]
    max_headers: ClassVar[int]
    security: ClassVar[SecurityHeaders]

    # Slots, not instance attributes: uvicorn's protocol already holds ~30 attributes, and a few
    # more in its ``__dict__`` turn the instance's key-sharing dict into a 1.5 KiB one per
    # connection (bench/sse.py: 18.7 -> 20.1 KiB per open stream).
    __slots__ = ("_head_bytes", "_in_head", "_refused")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        """Bytes received since the current head began (only counted while a head is being read)."""
        self._in_head = True
        self._refused = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_head_bytes or len(self.headers) > self.max_headers:
            self._refuse()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_head = True  # whatever arrives next begins the next request's head
        if not self._refused:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request: read and dropped until the connection closes
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still in the head after all of ``data``: every byte counted is the head's, so far.
        if self._in_head and self._head_bytes > self.max_head_bytes and not self._refused:
            self._refuse()

    def _refuse(self) -> None:
        self._refused = True
        rid = uuid.uuid4().hex
        detail = f"The request's head is over {self.max_head_bytes} bytes or {self.max_headers} header lines."
        body = msgspec.json.encode(problem_body(431, CODE, detail, request_id=rid))
        headers = {
            "date": formatdate(usegmt=True),
            "content-type": PROBLEM_MEDIA_TYPE,
            "content-length": str(len(body)),
            "connection": "close",
            "x-request-id": rid,
            **self.security.defaults(PROBLEM_MEDIA_TYPE),
        }
        status = b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        transport = self.transport
        transport.write(status + SecurityHeaders.as_lines(headers) + b"\r\n" + body)
        # A lingering close: closing with the rest of the head unread would reset the connection
        # and the client would lose the answer. End our side, discard what still comes (see
        # ``data_received``) and close for good after a moment.
        if transport.can_write_eof():
            transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, transport.close)
        token = request_id_var.set(rid)
        try:
            _access.info("request head too large: refused", extra={"status": 431})
        finally:
            request_id_var.reset(token)


def bounded_head(base: type[Any], settings: Settings, public_url: str) -> type[HttpToolsProtocol]:
    """``base`` (uvicorn's httptools protocol or a subclass) with the settings' head limits."""
    return type(
        f"BoundedHead{base.__name__}",
        (_BoundedHead, base),
        {
            "max_head_bytes": settings.max_request_head_bytes,
            "max_headers": settings.max_request_headers,
            "security": SecurityHeaders(public_url),
        },
    )
