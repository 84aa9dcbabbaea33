"""SQL implementations of the accounts repositories and their unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sagopalgo.accounts.adapters.sql.tables import refresh_tokens, sessions, users
from sagopalgo.accounts.domain.errors import EmailTaken, UsernameTaken
from sagopalgo.accounts.domain.session import AuthSession, RefreshToken
from sagopalgo.accounts.domain.user import User
from sagopalgo.accounts.domain.values import username_key
from sagopalgo.platform.sql import SqlUnitOfWork, violated_constraint

__all__ = ["SqlAccountsUnitOfWork", "SqlRefreshTokenRepository", "SqlSessionRepository", "SqlUserRepository"]


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        username=row.username,
        password_hash=row.password_hash,
        is_admin=bool(row.is_admin),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, user: User) -> User:
        try:
            result = await self._s.execute(
                insert(users).values(
                    email=user.email,
                    username=user.username,
                    username_key=username_key(user.username),
                    password_hash=user.password_hash,
                    is_admin=user.is_admin,
                    created_at=user.created_at,
                    disabled_at=user.disabled_at,
                )
            )
        except IntegrityError as exc:
            which = violated_constraint(exc)
            if "email" in which:
                raise EmailTaken("An account with this email already exists.") from None
            if "username" in which:
                raise UsernameTaken("This username is taken.") from None
            raise
        user.id = int(result.inserted_primary_key[0])  # type: ignore[attr-defined]
        return user

    async def get(self, user_id: int) -> User | None:
        row = (await self._s.execute(select(users).where(users.c.id == user_id))).first()
        return _user(row) if row else None

    async def by_email(self, email: str) -> User | None:
        row = (await self._s.execute(select(users).where(users.c.email == email))).first()
        return _user(row) if row else None

    async def by_username(self, username: str) -> User | None:
        key = username_key(username)
        row = (await self._s.execute(select(users).where(users.c.username_key == key))).first()
        return _user(row) if row else None

    async def set_admin(self, user_id: int, is_admin: bool) -> None:
        await self._s.execute(update(users).where(users.c.id == user_id).values(is_admin=is_admin))

    async def set_disabled(self, user_id: int, at: datetime | None) -> None:
        await self._s.execute(update(users).where(users.c.id == user_id).values(disabled_at=at))


class SqlSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, session: AuthSession) -> None:
        await self._s.execute(
            insert(sessions).values(
                id=session.id,
                user_id=session.user_id,
                created_at=session.created_at,
                revoked_at=session.revoked_at,
                revoke_reason=session.revoke_reason,
            )
        )

    async def get(self, session_id: str) -> AuthSession | None:
        row = (await self._s.execute(select(sessions).where(sessions.c.id == session_id))).first()
        if row is None:
            return None
        return AuthSession(
            id=row.id,
            user_id=row.user_id,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            revoke_reason=row.revoke_reason,
        )

    async def revoke(self, session_id: str, at: datetime, reason: str) -> None:
        await self._s.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=at, revoke_reason=reason)
        )

    async def revoke_all(self, user_id: int, at: datetime, reason: str) -> list[str]:
        active = and_(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        ids = list((await self._s.execute(select(sessions.c.id).where(active))).scalars())
        if ids:
            await self._s.execute(
                update(sessions)
                .where(active, sessions.c.id.in_(ids))
                .values(revoked_at=at, revoke_reason=reason)
            )
        return ids


class SqlRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, token: RefreshToken) -> None:
        await self._s.execute(
            insert(refresh_tokens).values(
                token_hash=token.token_hash,
                session_id=token.session_id,
                user_id=token.user_id,
                issued_at=token.issued_at,
                expires_at=token.expires_at,
                spent_at=token.spent_at,
            )
        )

    async def get(self, token_hash: str) -> RefreshToken | None:
        row = (
            await self._s.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))
        ).first()
        if row is None:
            return None
        return RefreshToken(
            token_hash=row.token_hash,
            session_id=row.session_id,
            user_id=row.user_id,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            spent_at=row.spent_at,
        )

    async def spend(self, token_hash: str, at: datetime) -> bool:
        # A conditional update is the arbiter: of two concurrent refreshes only one sees a row change.
        result = await self._s.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.spent_at.is_(None))
            .values(spent_at=at)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


class SqlAccountsUnitOfWork(SqlUnitOfWork):
    users: SqlUserRepository
    sessions: SqlSessionRepository
    refresh_tokens: SqlRefreshTokenRepository

    def _bind(self, session: AsyncSession) -> None:
        self.users = SqlUserRepository(session)
        self.sessions = SqlSessionRepository(session)
        self.refresh_tokens = SqlRefreshTokenRepository(session)
