"""The Litestar settings both services share, so their edges behave identically."""

from __future__ import annotations

from typing import Any

from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from sagopalgo.platform.http.idempotency import IdempotencyMiddleware
from sagopalgo.platform.http.problems import exception_handlers
from sagopalgo.platform.http.request_id import RequestContextMiddleware, add_request_id_header
from sagopalgo.platform.http.security import SecurityHeaders
from sagopalgo.platform.http.strict_body import strict_json_body
from sagopalgo.platform.settings import Settings

__all__ = ["common_app_kwargs"]


def common_app_kwargs(
    settings: Settings, *, title: str, description: str, public_url: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``Litestar(...)``: problems, request ids, headers, body limit, OpenAPI, CORS.

    ``public_url``: where clients reach this service (the API's by default; HSTS follows its scheme).
    """
    return {
        "exception_handlers": exception_handlers(),
        "before_send": [add_request_id_header, SecurityHeaders(public_url or settings.api_base_url)],
        "before_request": strict_json_body,
        "middleware": [RequestContextMiddleware(), IdempotencyMiddleware()],
        "request_max_body_size": settings.max_request_bytes,
        "openapi_config": OpenAPIConfig(
            title=title,
            version="1.0.0",
            description=description,
            path="/schema",
            render_plugins=[ScalarRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")],
        ),
        "cors_config": CORSConfig(
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "Last-Event-ID",
                "X-Request-ID",
            ],
            expose_headers=["X-Request-ID", "Retry-After"],
            allow_credentials=False,
            max_age=600,
        )
        if settings.cors_origins
        else None,
        "logging_config": None,
        "debug": False,
    }
