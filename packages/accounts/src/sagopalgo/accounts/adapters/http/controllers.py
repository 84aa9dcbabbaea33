"""The accounts endpoints of API.md: sign-up, tokens, refresh, logout and ``/me``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from sagopalgo.accounts.adapters.http.schemas import (
    AccountOut,
    MeOut,
    RefreshIn,
    SignInIn,
    SignUpIn,
    TokenPairOut,
)
from sagopalgo.accounts.application.service import AccountsService, TokenPair
from sagopalgo.kernel.identity import Principal
from sagopalgo.platform.http.problems import problem_responses
from sagopalgo.platform.ratelimit import rate_limit_guard

__all__ = ["AccountsController", "provide_accounts"]


async def provide_accounts(request: Request[Any, Any, Any]) -> AccountsService:
    service: AccountsService = request.app.state.accounts
    return service


def _pair(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


class AccountsController(Controller):
    path = "/api/v1"
    tags = ["accounts"]
    dependencies = {"accounts": Provide(provide_accounts)}

    @post(
        "/accounts",
        status_code=HTTP_201_CREATED,
        exclude_from_auth=True,
        guards=[rate_limit_guard("signup", "auth_rate_limit_per_minute")],
        summary="Create an account",
        responses=problem_responses(400, 409, 413, 429),
    )
    async def sign_up(
        self, data: JSONBody[SignUpIn], accounts: NamedDependency[AccountsService]
    ) -> AccountOut:
        view = await accounts.sign_up(email=data.email, username=data.username, password=data.password)
        return AccountOut(id=view.id, email=view.email, username=view.username)

    @post(
        "/auth/token",
        status_code=200,
        exclude_from_auth=True,
        guards=[rate_limit_guard("signin", "auth_rate_limit_per_minute")],
        summary="Sign in with email and password",
        responses=problem_responses(400, 401, 413, 429),
    )
    async def sign_in(
        self, data: JSONBody[SignInIn], accounts: NamedDependency[AccountsService]
    ) -> TokenPairOut:
        return _pair(await accounts.sign_in(email=data.email, password=data.password))

    @post(
        "/auth/refresh",
        status_code=200,
        exclude_from_auth=True,
        guards=[rate_limit_guard("refresh", "auth_rate_limit_per_minute")],
        summary="Exchange a refresh token for a new pair (the old one stops working)",
        responses=problem_responses(400, 401, 413, 429),
    )
    async def refresh(
        self, data: JSONBody[RefreshIn], accounts: NamedDependency[AccountsService]
    ) -> TokenPairOut:
        return _pair(await accounts.refresh(data.refresh_token))

    @post(
        "/auth/logout",
        status_code=HTTP_204_NO_CONTENT,
        summary="End the session of a refresh token",
        responses=problem_responses(400, 401, 413),
        security=[{"BearerToken": []}],
    )
    async def logout(
        self,
        data: JSONBody[RefreshIn],
        request: Request[Principal, Any, Any],
        accounts: NamedDependency[AccountsService],
    ) -> None:
        await accounts.logout(request.user, data.refresh_token)

    @get(
        "/me",
        summary="The signed-in account",
        responses=problem_responses(401),
        security=[{"BearerToken": []}],
    )
    async def me(
        self, request: Request[Principal, Any, Any], accounts: NamedDependency[AccountsService]
    ) -> MeOut:
        view = await accounts.me(request.user.user_id)
        return MeOut(id=view.id, email=view.email, username=view.username, roles=sorted(view.roles))
