"""Bearer authentication for every service route, on Litestar's ``JWTAuth``.

The token is decoded by Litestar (signature, algorithm, issuer, audience); expiry is judged by the
clock port, and the user and session are looked up on every request, so a revoked session or a
disabled user loses access at once rather than when the token expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import JWTAuth

from sagopalgo.accounts.adapters.tokens import ALGORITHM, AUDIENCE, ISSUER, ClockedToken
from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.errors import Forbidden, Unauthenticated
from sagopalgo.kernel.identity import Principal

__all__ = ["admin_only", "build_jwt_auth"]


def build_jwt_auth(secret: str, *, exclude: Sequence[str] = ()) -> JWTAuth[Principal, ClockedToken]:
    """``JWTAuth`` whose user is a ``Principal``; the accounts service and clock come from app state."""

    async def retrieve_user(token: ClockedToken, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
        state = connection.app.state
        clock: Clock = state.clock
        accounts: AccountsService = state.accounts
        if token.exp <= clock.now():
            raise NotAuthorizedException("The access token has expired.")
        try:
            user_id = int(token.sub)
        except ValueError:
            raise NotAuthorizedException("Invalid token.") from None
        try:
            return await accounts.principal_for(user_id=user_id, session_id=token.sid)
        except Unauthenticated as exc:
            raise NotAuthorizedException(exc.message) from None

    return JWTAuth[Principal, ClockedToken](
        token_secret=secret,
        algorithm=ALGORITHM,
        retrieve_user_handler=retrieve_user,
        token_cls=ClockedToken,
        accepted_issuers=[ISSUER],
        accepted_audiences=[AUDIENCE],
        verify_expiry=False,
        verify_not_before=False,
        exclude=list(exclude),
        exclude_opt_key="exclude_from_auth",
        description="Access token from POST /api/v1/auth/token (at most 15 minutes).",
    )


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """Guard: only admins pass."""
    user = connection.user
    if not isinstance(user, Principal) or not user.is_admin:
        raise Forbidden("Only administrators may do this.")
