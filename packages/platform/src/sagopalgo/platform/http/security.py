"""Security headers on every response either service sends, set in one ``before_send`` hook.

A route (or a router) that sets a header itself keeps its own value: the web pages send their own
Content-Security-Policy and ``Referrer-Policy``, photos and static files their own
``Cache-Control``, the event stream ``Cache-Control: no-cache``. Everything else gets:

- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and ``Referrer-Policy: no-referrer``;
- a Content-Security-Policy that allows nothing (``default-src 'none'``) on anything but HTML — a
  JSON or problem document, a photo or a stream rendered by a browser runs no script and loads
  nothing — and, on the OpenAPI pages (``/schema``), one that allows the renderers' bundles from
  their CDN and the document from this origin;
- ``Cache-Control: no-store``: answers name the caller, carry tokens or change with every bid, so
  no shared or browser cache keeps them unless a route says otherwise;
- ``Strict-Transport-Security`` when the service's public URL is ``https://`` (TLS ends at the load
  balancer, so the request itself cannot tell): one year, this host only — subdomains are the
  operator's to decide, and a plain-HTTP deployment (the demo) must not pin browsers to HTTPS.
"""

from __future__ import annotations

from collections.abc import Mapping

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

__all__ = ["API_CSP", "DOCS_CSP", "HSTS", "SecurityHeaders"]

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""Anything but HTML: nothing may load or run, nothing may frame it."""

_DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = "; ".join(
    (
        "default-src 'none'",
        # Scalar and Swagger UI: their bundles from jsDelivr and a few inline lines that start them
        f"script-src 'self' 'unsafe-inline' {_DOCS_CDN}",
        f"style-src 'self' 'unsafe-inline' {_DOCS_CDN} https://fonts.googleapis.com",
        f"font-src 'self' data: {_DOCS_CDN} https://fonts.gstatic.com",
        f"img-src 'self' data: {_DOCS_CDN}",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    )
)
"""The OpenAPI pages under ``/schema``: the renderers' bundles and the document from this origin."""

HSTS = "max-age=31536000"


class SecurityHeaders:
    """``before_send`` hook: the headers above on every ``http.response.start`` that lacks them."""

    def __init__(self, public_url: str) -> None:
        self.hsts = public_url.startswith("https://")

    def defaults(self, content_type: str = "", path: str = "") -> dict[str, str]:
        """What a response of ``content_type`` at ``path`` gets when it did not set its own."""
        html = content_type.startswith("text/html")
        headers = {
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": DOCS_CSP if html and path.startswith("/schema") else API_CSP,
            "Cache-Control": "no-store",
        }
        if self.hsts:
            headers["Strict-Transport-Security"] = HSTS
        return headers

    def fill(self, headers: MutableScopeHeaders | dict[str, str], content_type: str, path: str) -> None:
        present = {name.lower() for name in headers}
        for name, value in self.defaults(content_type, path).items():
            if name.lower() not in present:
                headers[name] = value

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        self.fill(headers, headers.get("content-type") or "", scope.get("path", ""))

    @staticmethod
    def as_lines(headers: Mapping[str, str]) -> bytes:
        """Raw HTTP/1.1 header lines, for an answer written by the server below the app."""
        return b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items())
