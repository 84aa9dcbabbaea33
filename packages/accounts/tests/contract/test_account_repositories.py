"""The accounts repositories' contract, on SQLite and on MariaDB (``database_url`` runs both)."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.accounts.domain.errors import EmailTaken, UsernameTaken
from sagopalgo.accounts.domain.session import AuthSession, RefreshToken
from sagopalgo.accounts.domain.user import User
from sagopalgo.kernel.clock import ManualClock

Uow = Callable[[], SqlAccountsUnitOfWork]


def _user(clock: ManualClock, email: str | None = None, username: str | None = None) -> User:
    tag = uuid.uuid4().hex[:10]
    return User(
        email=email or f"u{tag}@example.com",
        username=username or f"u{tag}",
        password_hash="$argon2id$placeholder",
        created_at=clock.now(),
    )


async def _add(uow: Uow, user: User) -> User:
    async with uow() as tx:
        stored = await tx.users.add(user)
        await tx.commit()
    return stored


async def test_added_user_reads_back_by_id_email_and_username(uow: Uow, clock: ManualClock) -> None:
    user = await _add(uow, _user(clock))
    assert user.id is not None
    async with uow() as tx:
        by_id = await tx.users.get(user.id)
        by_email = await tx.users.by_email(user.email)
        by_name = await tx.users.by_username(user.username.upper())
    assert by_id == by_email == by_name
    assert by_id is not None
    assert by_id.created_at == clock.now()
    assert by_id.created_at.utcoffset() == timedelta(0)


async def test_duplicate_email_and_username_are_told_apart(uow: Uow, clock: ManualClock) -> None:
    first = await _add(uow, _user(clock))
    with pytest.raises(EmailTaken):
        await _add(uow, _user(clock, email=first.email))
    with pytest.raises(UsernameTaken):
        await _add(uow, _user(clock, username=first.username.upper()))


async def test_uncommitted_work_is_rolled_back(uow: Uow, clock: ManualClock) -> None:
    user = _user(clock)
    async with uow() as tx:
        await tx.users.add(user)
    async with uow() as tx:
        assert await tx.users.by_email(user.email) is None


async def test_racing_sign_ups_for_one_email_store_exactly_one(uow: Uow, clock: ManualClock) -> None:
    email = f"race{uuid.uuid4().hex[:8]}@example.com"
    results = await asyncio.gather(
        *(_add(uow, _user(clock, email=email)) for _ in range(8)), return_exceptions=True
    )
    stored = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, EmailTaken)]
    assert len(stored) == 1
    assert len(refused) == 7


async def test_a_refresh_token_is_spent_once_even_under_concurrency(uow: Uow, clock: ManualClock) -> None:
    user = await _add(uow, _user(clock))
    assert user.id is not None
    session = AuthSession(id=uuid.uuid4().hex, user_id=user.id, created_at=clock.now())
    token = RefreshToken(
        token_hash=uuid.uuid4().hex * 2,
        session_id=session.id,
        user_id=user.id,
        issued_at=clock.now(),
        expires_at=clock.now() + timedelta(days=1),
    )
    async with uow() as tx:
        await tx.sessions.add(session)
        await tx.refresh_tokens.add(token)
        await tx.commit()

    async def spend() -> bool:
        async with uow() as tx:
            ok = await tx.refresh_tokens.spend(token.token_hash, clock.now())
            await tx.commit()
            return ok

    outcomes = await asyncio.gather(*(spend() for _ in range(6)))
    assert outcomes.count(True) == 1
    async with uow() as tx:
        stored = await tx.refresh_tokens.get(token.token_hash)
    assert stored is not None
    assert stored.spent_at == clock.now()


async def test_revoking_a_session_is_idempotent(uow: Uow, clock: ManualClock) -> None:
    user = await _add(uow, _user(clock))
    assert user.id is not None
    session = AuthSession(id=uuid.uuid4().hex, user_id=user.id, created_at=clock.now())
    async with uow() as tx:
        await tx.sessions.add(session)
        await tx.commit()
    first = clock.now()
    async with uow() as tx:
        await tx.sessions.revoke(session.id, first, "logout")
        await tx.commit()
    clock.advance(timedelta(minutes=5))
    async with uow() as tx:
        await tx.sessions.revoke(session.id, clock.now(), "reuse")
        await tx.commit()
    async with uow() as tx:
        stored = await tx.sessions.get(session.id)
    assert stored is not None
    assert (stored.revoked_at, stored.revoke_reason) == (first, "logout")
