"""Rendering helpers every page shares: whole pages, htmx fragments, notices, form values."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from sagopalgo.kernel.errors import Invalid
from sagopalgo.kernel.identity import Principal

__all__ = ["fragment", "is_htmx", "notice", "page", "parse_won", "text"]


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """An htmx request wants the fragment it swaps in, not the whole page."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def page(
    request: Request[Any, Any, Any],
    name: str,
    *,
    viewer: Principal | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """A whole page (``base.html`` around it), with the notice a redirect left, if any."""
    found = request.session.pop("notice", None) if "session" in request.scope else None
    return Template(
        template_name=name,
        context={"viewer": viewer, "notice": found, **context},
        status_code=status,
        headers=headers,
    )


def fragment(
    name: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Template:
    return Template(template_name=name, context=context, status_code=status, headers=headers)


def notice(request: Request[Any, Any, Any], message: str) -> None:
    """A message for the page the browser is redirected to next (shown once)."""
    request.session["notice"] = message


def text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_won(value: str, *, field: str) -> int:
    """``"3,000,000"`` or ``"3000000"`` → 3000000; anything else is refused as that field's input.

    Only the shape is judged here; whether the amount is allowed is the use case's rule.
    """
    digits = value.replace(",", "").replace(" ", "").removesuffix("원")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        raise Invalid(f"{field} must be a whole number of won.", field=field)
    return int(digits)
