"""Failures on pages: the platform's one status table decides the status; the page says it in Korean.

Every exception type the platform maps (domain errors, Litestar's, a database or Redis that is
down) is mapped here too, so the closest layer — these pages — renders HTML instead of a problem
document, without a second status table. A page for signed-in users redirects to sign in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from sagopalgo.api.web.messages import for_code, for_error
from sagopalgo.api.web.session import SignInRequired
from sagopalgo.api.web.views import is_htmx
from sagopalgo.kernel.errors import DomainError
from sagopalgo.platform.http.problems import PROBLEM_MEDIA_TYPE, exception_handlers

__all__ = ["page_exception_handlers", "unrouted_handler"]

_HEADINGS = {
    401: "로그인이 필요합니다",
    403: "할 수 없는 일입니다",
    404: "찾을 수 없습니다",
    429: "잠시 후에",
}


def _problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """What the API would answer: the platform's handler for the closest type in ``exc``'s MRO."""
    handlers = exception_handlers()
    for kind in type(exc).__mro__:
        if kind in handlers:
            response: Response[Any] = handlers[kind](request, exc)
            return response
    raise exc  # pragma: no cover - the platform maps ``Exception`` itself


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return "application/json" in request.headers.get("accept", "")


def page_error(request: Request[Any, Any, Any], exc: Exception, headers: dict[str, str]) -> Response[Any]:
    if isinstance(exc, SignInRequired):
        if is_htmx(request):
            return Response(content=None, status_code=200, headers={"HX-Redirect": exc.location})
        return Redirect(exc.location, status_code=303)
    problem = _problem(request, exc)
    body: dict[str, Any] = problem.content if isinstance(problem.content, dict) else {}
    status, code = problem.status_code or 500, str(body.get("code", "INTERNAL_ERROR"))
    if status == 403 and "csrf" in str(body.get("detail", "")).lower():
        code = "CSRF_FAILED"
    message = for_error(exc) if isinstance(exc, DomainError) else for_code(code)
    extra = {**headers, **dict(problem.headers)}
    if _wants_json(request):  # the page's own scripts (photo uploads) read the problem document
        return Response(
            content={**body, "code": code, "detail": message},
            status_code=status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=extra,
        )
    if is_htmx(request):
        extra |= {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"}
        return Template(
            "_alert.html", context={"code": code, "message": message}, status_code=status, headers=extra
        )
    return Template(
        "error.html",
        context={
            "viewer": None,
            "status": status,
            "code": code,
            "message": message,
            "heading": _HEADINGS.get(status, "요청을 처리하지 못했습니다"),
        },
        status_code=status,
        headers=extra,
    )


def page_exception_handlers(headers: dict[str, str]) -> dict[Any, Any]:
    """Router-level handlers for every type the platform maps, plus ``SignInRequired``.

    ``headers`` (the pages' security headers) go on error pages too: they bypass the layered ones.
    """

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return page_error(request, exc, headers)

    return {kind: handle for kind in [*exception_handlers(), SignInRequired]}


_NOT_PAGES = ("/api/", "/sse/", "/schema", "/health", "/media/", "/static/")


def unrouted_handler(headers: dict[str, str]) -> Any:
    """The app's 404 for a path no route matched.

    A browser's unknown address gets a page; under the API's prefixes clients get a problem document.
    """

    def handle(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any]:
        if request.url.path.startswith(_NOT_PAGES):
            return _problem(request, exc)
        return page_error(request, exc, headers)

    return handle
