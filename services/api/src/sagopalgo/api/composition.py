"""Building the use-case services from settings: shared by the API app and the CLI commands."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from sagopalgo.accounts.adapters.passwords import Argon2PasswordHasher
from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.kernel.clock import Clock
from sagopalgo.platform.settings import Settings

__all__ = ["build_accounts"]

# The CLI signs no tokens; when no key is configured it still needs an issuer to build the service.
_UNUSED_KEY = "unused-by-the-cli-unused-by-the-cli"


def build_accounts(sessions: async_sessionmaker[Any], settings: Settings, clock: Clock) -> AccountsService:
    return AccountsService(
        uow=lambda: SqlAccountsUnitOfWork(sessions),
        hasher=Argon2PasswordHasher(),
        tokens=JwtAccessTokenIssuer(settings.jwt_secret or _UNUSED_KEY, settings.access_token_ttl_seconds),
        clock=clock,
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
