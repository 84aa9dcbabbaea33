"""What the accounts use cases need from the outside world, as Protocols speaking domain types."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sagopalgo.accounts.domain.session import AuthSession, RefreshToken
from sagopalgo.accounts.domain.user import User
from sagopalgo.kernel.uow import UnitOfWork

__all__ = [
    "AccessTokenIssuer",
    "AccountsUnitOfWork",
    "PasswordHasher",
    "RefreshTokenRepository",
    "SessionRepository",
    "UserRepository",
]


class UserRepository(Protocol):
    async def add(self, user: User) -> User:
        """Store a new user and return it with its id.

        Raises ``EmailTaken`` or ``UsernameTaken`` when the email or the username key is in use,
        even when two sign-ups race (the database's unique constraints decide).
        """
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def by_email(self, email: str) -> User | None: ...

    async def by_username(self, username: str) -> User | None:
        """Find by username, case-insensitively."""
        ...

    async def set_admin(self, user_id: int, is_admin: bool) -> None: ...

    async def set_disabled(self, user_id: int, at: datetime | None) -> None:
        """Disable the account from ``at`` on, or enable it again with ``None``."""
        ...


class SessionRepository(Protocol):
    async def add(self, session: AuthSession) -> None: ...

    async def get(self, session_id: str) -> AuthSession | None: ...

    async def revoke(self, session_id: str, at: datetime, reason: str) -> None:
        """Revoke the session if still active; revoking a revoked session changes nothing."""
        ...

    async def revoke_all(self, user_id: int, at: datetime, reason: str) -> list[str]:
        """Revoke every active session of the user; returns their ids."""
        ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get(self, token_hash: str) -> RefreshToken | None: ...

    async def spend(self, token_hash: str, at: datetime) -> bool:
        """Mark the token spent iff it is not yet; ``True`` for exactly one of any concurrent callers."""
        ...


class AccountsUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the accounts repositories; leaving without ``commit`` rolls back."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...


class PasswordHasher(Protocol):
    """A slow, salted password hash (argon2id in production); CPU work happens off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """``True`` iff ``password`` matches; never raises for a wrong password or a malformed hash."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class AccessTokenIssuer(Protocol):
    """Signs short-lived access tokens naming the user and the session."""

    def issue(
        self, *, user_id: int, username: str, roles: frozenset[str], session_id: str, now: datetime
    ) -> str: ...

    @property
    def ttl_seconds(self) -> int: ...
