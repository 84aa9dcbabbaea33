"""Who is browsing: the accounts session the session cookie names, checked on every request."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.di import NamedDependency

from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.kernel.errors import Unauthenticated
from sagopalgo.kernel.identity import Principal

__all__ = ["SignInRequired", "forget", "provide_user", "provide_viewer", "remember", "safe_next"]


class SignInRequired(Exception):
    """A page for signed-in users was asked for anonymously: off to the sign-in page, and back."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to

    @property
    def location(self) -> str:
        return f"/signin?next={quote(self.back_to, safe='/')}"


async def provide_viewer(request: Request[Any, Any, Any]) -> Principal | None:
    """The signed-in user, or ``None``; a session that ended elsewhere is forgotten here."""
    data = request.session
    user_id, session_id = data.get("uid"), data.get("sid")
    if not isinstance(user_id, int) or not isinstance(session_id, str):
        return None
    accounts: AccountsService = request.app.state.accounts
    try:
        return await accounts.principal_for(user_id=user_id, session_id=session_id)
    except Unauthenticated:
        request.clear_session()
        return None


async def provide_user(
    request: Request[Any, Any, Any], viewer: NamedDependency[Principal | None]
) -> Principal:
    """The signed-in user, for pages that need one (the sign-in page sends them back here)."""
    if viewer is None:
        back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(back_to if request.method == "GET" else "/")
    return viewer


def remember(request: Request[Any, Any, Any], principal: Principal) -> None:
    """A fresh session cookie (never a reused one) naming the new accounts session."""
    request.set_session({"uid": principal.user_id, "sid": principal.session_id})


def forget(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


def safe_next(value: str | None) -> str:
    """Only a path of this site: ``/lots/3`` yes; ``//evil.example`` or ``https://...`` no."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
