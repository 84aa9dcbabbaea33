from collections.abc import Callable
from datetime import timedelta

import argon2
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.accounts.adapters.passwords import Argon2PasswordHasher
from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.sql import session_factory

SECRET = "unit-test-secret-unit-test-secret-0123"


@pytest.fixture
def uow(engine: AsyncEngine) -> Callable[[], SqlAccountsUnitOfWork]:
    sessions = session_factory(engine)
    return lambda: SqlAccountsUnitOfWork(sessions)


@pytest.fixture
def service(uow: Callable[[], SqlAccountsUnitOfWork], clock: ManualClock) -> AccountsService:
    # Cheap argon2 parameters: these tests are about the rules, not the hash's cost.
    hasher = Argon2PasswordHasher(argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return AccountsService(
        uow=uow,
        hasher=hasher,
        tokens=JwtAccessTokenIssuer(SECRET, 900),
        clock=clock,
        refresh_ttl=timedelta(days=14),
    )
