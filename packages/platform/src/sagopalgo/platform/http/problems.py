"""RFC 9457 problem details: the one shape of every error either service returns.

One table maps the kernel's error *kinds* to statuses; Litestar's own exceptions (unknown route,
wrong method, malformed body, validation) are folded into the same shape so a client meets a single
error format with a stable ``code``. Anything unexpected is logged with its traceback and answered
with a bare 500; a dependency that is down is a 503 ``UNAVAILABLE``, never a 500.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from sagopalgo.kernel import errors
from sagopalgo.platform.http.request_id import request_id_for

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemField",
    "exception_handlers",
    "problem_body",
    "problem_response",
    "problem_responses",
    "status_for",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger("sagopalgo.errors")


class ProblemField(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """The RFC 9457 body; ``code`` is the stable identifier clients branch on."""

    type: str
    title: str
    status: int
    code: str
    detail: str = ""
    instance: str = ""
    requestId: str = ""
    errors: list[ProblemField] | None = None


_KIND_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.Invalid, 400),
    (errors.Unauthenticated, 401),
    (errors.PaymentRequired, 402),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Rejected, 422),
    (errors.TooLarge, 413),
    (errors.UnsupportedMedia, 415),
    (errors.RateLimited, 429),
    (errors.Unavailable, 503),
)

_STATUS_CODE = {
    400: "VALIDATION_FAILED",
    401: "UNAUTHENTICATED",
    402: "PAYMENT_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    431: "HEADERS_TOO_LARGE",
    422: "VALIDATION_FAILED",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}


def status_for(exc: errors.DomainError) -> int:
    """The HTTP status of a domain error, by kind (the most specific kind listed wins)."""
    for kind, status in _KIND_STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    body = problem_body(
        status,
        code,
        detail,
        instance=request.scope.get("path", ""),
        request_id=request_id_for(request.scope),
        extra=extra,
    )
    return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str = "",
    request_id: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A problem document's fields; also for answers written below the app (``serve``'s head limit)."""
    body: dict[str, Any] = {
        "type": f"urn:sagopalgo:problem:{code.lower().replace('_', '-')}",
        "title": HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error",
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if request_id:
        body["requestId"] = request_id
    if extra:
        body.update(extra)
    return body


def _domain_error(request: Request[Any, Any, Any], exc: errors.DomainError) -> Response[Any]:
    status = status_for(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.RateLimited) else None
    if isinstance(exc, errors.Unavailable | errors.IdempotencyKeyInUse):
        headers = {"Retry-After": "1"}
    if isinstance(exc, errors.Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    return problem_response(request, status, exc.code, exc.message, extra=exc.extra, headers=headers)


# msgspec names the offending field in its message ("... - at `$.email`", "missing required field
# `username`"); Litestar reports the whole body as key "data", so the field is taken from the message.
_AT_PATH = re.compile(r"at `\$\.([^`]+)`")
_NAMED_FIELD = re.compile(r"field `([^`]+)`")


def _wire_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the client used: a parameter's alias (``categoryId``, ``Last-Event-ID``), not Python's."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    except Exception:  # no handler resolved (a 404 or 405): keep the key
        return key
    definition = getattr(parameter, "kwarg_definition", None)
    alias = getattr(definition, "name", None) or getattr(definition, "query", None)
    return str(alias or key)


def _validation_errors(request: Request[Any, Any, Any], exc: ValidationException) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", "invalid"))
            field = str(item.get("key") or item.get("source") or "body")
            if field == "data":
                found = _AT_PATH.search(message) or _NAMED_FIELD.search(message)
                field = found.group(1) if found else "body"
            elif item.get("source") in ("query", "header"):
                field = _wire_name(request, field)
            out.append({"field": field, "message": message})
    return out


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        return _unexpected(request, exc)
    code = _STATUS_CODE.get(
        status, HTTPStatus(status).name if status in HTTPStatus._value2member_map_ else "ERROR"
    )
    detail = exc.detail or HTTPStatus(status).phrase
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) or status == 400:
        code = "VALIDATION_FAILED"
        found = _validation_errors(request, exc) if isinstance(exc, ValidationException) else []
        extra["errors"] = found or [{"field": "body", "message": detail}]
        if not found and "json" in detail.lower():
            detail = "The request body is not valid JSON."
    headers = dict(exc.headers or {})
    if status == 401:
        detail = "Missing or invalid access token."
        headers.setdefault("WWW-Authenticate", "Bearer")
    if status == 405 and isinstance(exc.headers, dict) and "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    return problem_response(request, status, code, detail, extra=extra, headers=headers or None)


def _unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.warning("dependency unavailable: %s", type(exc).__name__, exc_info=exc)
    return problem_response(
        request,
        503,
        "UNAVAILABLE",
        "A service we depend on is unavailable; retry shortly.",
        headers={"Retry-After": "1"},
    )


def _dbapi_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return _unavailable(request, exc)
    return _unexpected(request, exc)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.error("unhandled error on %s %s", request.method, request.scope.get("path"), exc_info=exc)
    return problem_response(request, 500, "INTERNAL_ERROR", "Something went wrong on our side.")


def exception_handlers() -> dict[Any, Any]:
    """Handlers for ``Litestar(exception_handlers=...)``: every failure leaves as a problem document."""
    return {
        errors.DomainError: _domain_error,
        HTTPException: _http_error,
        OperationalError: _unavailable,
        DBAPIError: _dbapi_error,
        PoolTimeoutError: _unavailable,
        RedisConnectionError: _unavailable,
        RedisTimeoutError: _unavailable,
        ConnectionError: _unavailable,
        TimeoutError: _unavailable,
        Exception: _unexpected,
    }


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries documenting a handler's error responses as problem documents."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=f"{HTTPStatus(status).phrase} (problem details; see `code`)",
            media_type=PROBLEM_MEDIA_TYPE,
        )
        for status in statuses
    }
