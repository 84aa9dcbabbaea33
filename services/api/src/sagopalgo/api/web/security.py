"""What browsers need beyond the API's bearer tokens: the session cookie, CSRF and a CSP.

Keys are derived from the JWT secret (one secret to configure, a key of its own per use). Cookies
are ``Secure`` when the public URL is HTTPS (TLS ends at the load balancer, so the request itself
arrives as plain HTTP), HttpOnly, and ``SameSite=Lax`` so that Toss's redirect back after paying
still carries the session.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from litestar.config.csrf import CSRFConfig
from litestar.middleware.session.client_side import CookieBackendConfig

from sagopalgo.platform.settings import Settings

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "TOSS_SDK_ORIGINS",
    "content_security_policy",
    "csrf_config",
    "derived_key",
    "session_config",
]

SESSION_COOKIE = "sagopalgo_session"
CSRF_COOKIE = "sagopalgo_csrf"
CSRF_HEADER = "x-csrftoken"
TOSS_SDK_ORIGINS = ("https://js.tosspayments.com", "https://*.tosspayments.com")
"""Where Toss's JS SDK loads from and talks to (the production checkout page only)."""


def derived_key(settings: Settings, purpose: str) -> bytes:
    settings.require("jwt_secret")
    return hashlib.sha256(
        f"sagopalgo-web:{purpose}:".encode() + (settings.jwt_secret or "").encode()
    ).digest()


def _secure(settings: Settings) -> bool:
    return settings.api_base_url.startswith("https://")


def session_config(settings: Settings) -> CookieBackendConfig:
    """The browser's session: an encrypted cookie naming the accounts session (``uid``, ``sid``).

    It expires with the refresh-token lifetime; the accounts session it names is checked on every
    request, so signing out (or any revocation) ends it at once, on every API process.
    """
    return CookieBackendConfig(
        secret=derived_key(settings, "session"),
        key=SESSION_COOKIE,
        max_age=settings.refresh_token_ttl_seconds,
        secure=_secure(settings),
        httponly=True,
        samesite="lax",
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit token on every unsafe request: a form field or the ``x-csrftoken`` header."""
    return CSRFConfig(
        secret=derived_key(settings, "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=_secure(settings),
        cookie_httponly=True,  # pages carry the token themselves; no script needs the cookie
        cookie_samesite="lax",
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _upload_origins(settings: Settings) -> list[str]:
    """Where the browser sends photos: the API itself (embedded store) or the bucket."""
    if not settings.s3_bucket:
        return [_origin(settings.api_base_url)]
    if settings.s3_endpoint_url:
        return [_origin(settings.s3_endpoint_url)]
    bucket, region = settings.s3_bucket, settings.s3_region
    return [f"https://{bucket}.s3.{region}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com"]


def content_security_policy(settings: Settings, *, toss_sdk: bool = False) -> str:
    """The pages' policy: scripts and styles from this origin only, never inline.

    Photos come from the CDN, live events from the SSE service and uploads go to storage;
    ``toss_sdk`` adds what Toss's checkout SDK needs (the production checkout page only).
    """
    toss = list(TOSS_SDK_ORIGINS) if toss_sdk else []
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *toss],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", _origin(settings.image_base_url), *toss],
        "connect-src": ["'self'", _origin(settings.sse_base_url), *_upload_origins(settings), *toss],
        "frame-src": toss or ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives.items())
