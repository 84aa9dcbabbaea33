"""Accounts an operator manages from the command line: admins, disabled accounts.

Admins are made through the same use case as sign-up.
"""

from __future__ import annotations

import asyncio

from sagopalgo.accounts.application.service import AccountView
from sagopalgo.api.composition import build_accounts
from sagopalgo.api.db import upgrade
from sagopalgo.kernel.clock import SystemClock
from sagopalgo.platform.settings import Settings
from sagopalgo.platform.sql import create_engine, session_factory

__all__ = ["create_admin_account", "set_account_enabled"]


async def create_admin_account(
    settings: Settings, *, email: str, username: str, password: str
) -> AccountView:
    if settings.auto_migrate:
        await asyncio.to_thread(upgrade, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        service = build_accounts(session_factory(engine), settings, SystemClock())
        return await service.make_admin(email=email, username=username, password=password)
    finally:
        await engine.dispose()


async def set_account_enabled(settings: Settings, *, email: str, enabled: bool) -> AccountView:
    """Disable an account (it loses every session at once) or let it sign in again."""
    engine = create_engine(settings.database_url)
    try:
        service = build_accounts(session_factory(engine), settings, SystemClock())
        return await (service.enable(email) if enabled else service.disable(email))
    finally:
        await engine.dispose()
