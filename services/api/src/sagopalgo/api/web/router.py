"""The pages' router (sessions, CSRF, security headers, HTML errors) and their templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp

from sagopalgo.accounts.adapters.http.controllers import provide_accounts
from sagopalgo.api.web.errors import page_exception_handlers, unrouted_handler
from sagopalgo.api.web.pages import PAGES
from sagopalgo.api.web.present import FILTERS
from sagopalgo.api.web.security import content_security_policy, csrf_config, session_config
from sagopalgo.api.web.session import provide_user, provide_viewer
from sagopalgo.bidding.adapters.http.controllers import provide_bidding
from sagopalgo.bidding.adapters.http.days import provide_awards
from sagopalgo.catalog.adapters.http.controllers import provide_catalog
from sagopalgo.payments.adapters.http.controllers import provide_payments
from sagopalgo.platform.settings import Settings
from sagopalgo.search.adapters.http.controllers import provide_search

__all__ = [
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "security_headers",
    "unrouted_page",
    "web_router",
    "web_templates",
]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"


def security_headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",  # pages show one user's state; never from a shared cache
    }


def _session_middleware(app: ASGIApp, config: CookieBackendConfig) -> SessionMiddleware[Any]:
    """The session middleware, its cipher built per app.

    A router's middleware is deep-copied when it is registered, and the ready-made
    ``config.middleware`` holds an AES-GCM object, which cannot be copied.
    """
    return SessionMiddleware(app=app, backend=ClientSideSessionBackend(config=config))


def web_router(settings: Settings) -> list[Router]:
    """The pages (public ones and the signed-in user's) and their static files.

    The API's bearer-token auth is off for them (``exclude_from_auth``): a page reads the session
    cookie instead, and every unsafe request must carry the CSRF token.
    """
    headers = security_headers(settings)
    pages = Router(
        path="/",
        route_handlers=PAGES,
        dependencies={
            "viewer": Provide(provide_viewer),
            "user": Provide(provide_user),
            "accounts": Provide(provide_accounts),
            "catalog": Provide(provide_catalog),
            "bidding": Provide(provide_bidding),
            "awards": Provide(provide_awards),
            "payments": Provide(provide_payments),
            "search": Provide(provide_search),
        },
        middleware=[
            DefineMiddleware(_session_middleware, config=session_config(settings)),
            DefineMiddleware(CSRFMiddleware, config=csrf_config(settings)),
        ],
        response_headers=[ResponseHeader(name=name, value=value) for name, value in headers.items()],
        exception_handlers=page_exception_handlers(headers),
        opt={"exclude_from_auth": True},
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/static/web",
        directories=[STATIC_DIR],
        name="web:static",
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600, public=True),
    )
    return [pages, static]


def web_templates(settings: Settings) -> TemplateConfig[Any]:
    image_base = settings.image_base_url

    def configure(engine: JinjaTemplateEngine) -> None:
        engine.engine.filters.update(FILTERS)
        engine.engine.globals["image_url"] = lambda key: f"{image_base}/{key}"

    return TemplateConfig(directory=TEMPLATE_DIR, engine=JinjaTemplateEngine, engine_callback=configure)


def unrouted_page(settings: Settings) -> dict[Any, Any]:
    """App-level exception handlers: a browser's unknown address gets a page, not JSON."""
    return {NotFoundException: unrouted_handler(security_headers(settings))}
