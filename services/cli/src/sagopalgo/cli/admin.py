"""Admin accounts from the command line, through the same use case as sign-up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sagopalgo.accounts.adapters.passwords import Argon2PasswordHasher
from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.accounts.application.service import AccountsService, AccountView
from sagopalgo.api.db import upgrade
from sagopalgo.kernel.clock import SystemClock
from sagopalgo.platform.settings import Settings
from sagopalgo.platform.sql import create_engine, session_factory

__all__ = ["create_admin_account"]


async def create_admin_account(settings: Settings, *, email: str, username: str, password: str) -> AccountView:
    if settings.auto_migrate:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        service = AccountsService(
            uow=lambda: SqlAccountsUnitOfWork(sessions),
            hasher=Argon2PasswordHasher(),
            # The CLI signs no tokens; a throwaway key satisfies the constructor.
            tokens=JwtAccessTokenIssuer("x" * 32, settings.access_token_ttl_seconds),
            clock=SystemClock(),
            refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
        return await service.make_admin(email=email, username=username, password=password)
    finally:
        await engine.dispose()
