"""Bearer authentication for every service route, on Litestar's ``JWTAuth``.

The token is decoded by Litestar (signature, algorithm, issuer, audience); expiry is judged by the
clock port, and the user and session are looked up on every request, so a revoked session or a
disabled user loses access at once rather than when the token expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar.config.app import AppConfig
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


class _PerOperationJWTAuth(JWTAuth[Principal, ClockedToken]):
    """``JWTAuth`` whose OpenAPI document asks for the token only where a handler says so.

    Litestar's ``on_app_init`` adds the bearer scheme to the document's top-level ``security``, which
    every operation without its own list inherits, so browsing, signing up and signing in were all
    documented as needing a token. Protected handlers state ``security=[{"BearerToken": []}]``
    themselves; the scheme stays in the components.
    """

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config = super().on_app_init(app_config)
        if app_config.openapi_config is not None:
            app_config.openapi_config.security = None
        return app_config


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

    return _PerOperationJWTAuth(
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
