"""Accounts use cases: sign up, sign in, refresh with rotation, log out, and who-am-I.

Every method opens its own unit of work and commits explicitly; HTTP never commits.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sagopalgo.accounts.domain.errors import InvalidCredentials, InvalidRefreshToken, RefreshTokenReused
from sagopalgo.accounts.domain.session import AuthSession, RefreshToken, RevokeReason
from sagopalgo.accounts.domain.user import User
from sagopalgo.accounts.domain.values import check_password, normalize_email, normalize_username
from sagopalgo.accounts.ports import AccessTokenIssuer, AccountsUnitOfWork, PasswordHasher
from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.errors import NotFound, Unauthenticated
from sagopalgo.kernel.identity import Principal

__all__ = ["AccountView", "AccountsService", "TokenPair", "hash_refresh_token"]

# Verifying against a real hash when the email is unknown keeps sign-in time the same either way,
# so response timing does not reveal which emails have accounts.
_DUMMY_PASSWORD = "sagopalgo-timing-equaliser"  # noqa: S105 - not a credential


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    email: str
    username: str
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are 256-bit random strings, so a fast hash is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def _id(user: User) -> int:
    if user.id is None:  # only a user not yet stored lacks an id; repositories always set it
        raise RuntimeError("user has no id")
    return user.id


def _view(user: User) -> AccountView:
    return AccountView(id=_id(user), email=user.email, username=user.username, roles=user.roles)


class AccountsService:
    def __init__(
        self,
        *,
        uow: Callable[[], AccountsUnitOfWork],
        hasher: PasswordHasher,
        tokens: AccessTokenIssuer,
        clock: Clock,
        refresh_ttl: timedelta,
        principal_ttl: timedelta = timedelta(0),
    ) -> None:
        self._uow = uow
        # Every authenticated request asks who a token speaks for; remembering the answer briefly
        # saves two queries per request. A session ended here is forgotten at once; one ended on
        # another process is honoured there at once and here within ``principal_ttl``.
        self._principal_ttl = principal_ttl
        self._principals: dict[str, tuple[datetime, Principal]] = {}
        self._lookups: dict[tuple[str, int], asyncio.Future[Principal]] = {}
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock
        self._refresh_ttl = refresh_ttl
        self._dummy_hash: str | None = None

    async def sign_up(self, *, email: str, username: str, password: str, admin: bool = False) -> AccountView:
        email = normalize_email(email)
        username = normalize_username(username)
        check_password(password)
        password_hash = await self._hasher.hash(password)
        async with self._uow() as uow:
            user = await uow.users.add(
                User(
                    email=email,
                    username=username,
                    password_hash=password_hash,
                    created_at=self._clock.now(),
                    is_admin=admin,
                )
            )
            await uow.commit()
        return _view(user)

    async def sign_in(self, *, email: str, password: str) -> TokenPair:
        user = await self._credentials(email, password)
        async with self._uow() as uow:
            session = AuthSession(id=secrets.token_hex(16), user_id=_id(user), created_at=self._clock.now())
            await uow.sessions.add(session)
            pair = await self._issue(uow, user, session)
            await uow.commit()
        return pair

    async def open_session(self, *, email: str, password: str) -> Principal:
        """Sign in for a browser: a session and no tokens, since the session cookie names the session.

        The same credential check as ``sign_in``; ``principal_for`` then judges every request of the
        browser exactly as it judges an access token, and ``end_session`` (or a revocation) ends it.
        """
        user = await self._credentials(email, password)
        async with self._uow() as uow:
            session = AuthSession(id=secrets.token_hex(16), user_id=_id(user), created_at=self._clock.now())
            await uow.sessions.add(session)
            await uow.commit()
        return Principal(user_id=_id(user), username=user.username, roles=user.roles, session_id=session.id)

    async def end_session(self, actor: Principal) -> None:
        """Sign the caller's own session out (the browser's "log out"); an ended one stays ended."""
        async with self._uow() as uow:
            await uow.sessions.revoke(actor.session_id, self._clock.now(), RevokeReason.LOGOUT)
            await uow.commit()
        self._principals.pop(actor.session_id, None)

    async def _credentials(self, email: str, password: str) -> User:
        """The active user with this email and password, else ``InvalidCredentials`` (equally slow)."""
        try:
            email = normalize_email(email)
        except Exception:
            email = ""
        async with self._uow() as uow:
            user = await uow.users.by_email(email) if email else None
        # The slow hash runs outside any transaction so no database connection waits on it.
        if user is None:
            await self._hasher.verify(await self._dummy(), password)
            raise InvalidCredentials("Wrong email or password.")
        if not await self._hasher.verify(user.password_hash, password) or not user.active:
            raise InvalidCredentials("Wrong email or password.")
        return user

    async def refresh(self, refresh_token: str) -> TokenPair:
        now = self._clock.now()
        token_hash = hash_refresh_token(refresh_token)
        async with self._uow() as uow:
            stored = await uow.refresh_tokens.get(token_hash)
            if stored is None:
                raise InvalidRefreshToken("Unknown refresh token; sign in again.")
            session = await uow.sessions.get(stored.session_id)
            user = await uow.users.get(stored.user_id)
            if session is None or user is None or not user.active:
                raise InvalidRefreshToken("Unknown refresh token; sign in again.")
            stored.check_spendable(now, session)
            if not await uow.refresh_tokens.spend(token_hash, now):
                await uow.sessions.revoke(session.id, now, RevokeReason.REUSE)
                await uow.commit()
                self._principals.pop(session.id, None)
                raise RefreshTokenReused(
                    "This refresh token was already used; the session has been ended. Sign in again."
                )
            pair = await self._issue(uow, user, session)
            await uow.commit()
        return pair

    async def logout(self, principal: Principal, refresh_token: str) -> None:
        """End the session of ``refresh_token`` if it is the caller's; anything else changes nothing."""
        now = self._clock.now()
        async with self._uow() as uow:
            stored = await uow.refresh_tokens.get(hash_refresh_token(refresh_token))
            if stored is not None and stored.user_id == principal.user_id:
                await uow.sessions.revoke(stored.session_id, now, RevokeReason.LOGOUT)
                await uow.commit()
                self._principals.pop(stored.session_id, None)

    async def me(self, user_id: int) -> AccountView:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("No such account.")
        return _view(user)

    async def principal_for(self, *, user_id: int, session_id: str) -> Principal:
        """Who an access token speaks for, if its user is still active and its session not revoked.

        Concurrent requests of one session that miss the cache share one lookup, and remembered
        answers expire at a random point in the last half of ``principal_ttl``: a client firing
        many requests at once (a closing-minute spike) then costs one lookup rather than one per
        request, and sessions remembered together are not all looked up again in the same instant.
        """
        now = self._clock.now()
        known = self._principals.get(session_id)
        if known is not None and known[0] > now and known[1].user_id == user_id:
            return known[1]
        key = (session_id, user_id)
        lookup = self._lookups.get(key)
        if lookup is None:
            lookup = asyncio.ensure_future(self._look_up(user_id, session_id, now))
            self._lookups[key] = lookup
            lookup.add_done_callback(lambda done: self._lookup_done(key, done))
        return await asyncio.shield(lookup)

    def _lookup_done(self, key: tuple[str, int], done: asyncio.Future[Principal]) -> None:
        self._lookups.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved here, so a lookup whose callers all left logs no warning

    async def _look_up(self, user_id: int, session_id: str, now: datetime) -> Principal:
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
            session = await uow.sessions.get(session_id)
        if (
            user is None
            or not user.active
            or session is None
            or not session.active
            or session.user_id != user_id
        ):
            raise Unauthenticated("The session has ended; sign in again.")
        principal = Principal(
            user_id=user_id, username=user.username, roles=user.roles, session_id=session_id
        )
        if self._principal_ttl:
            if len(self._principals) >= 100_000:  # bounded: drop everything rather than grow
                self._principals.clear()
            keep = self._principal_ttl * (0.5 + random.random() / 2)  # noqa: S311 - spreading, not secrecy
            self._principals[session_id] = (now + keep, principal)
        return principal

    async def make_admin(self, *, email: str, username: str, password: str) -> AccountView:
        """Create an admin account, or promote the existing account with that email (password unchanged)."""
        normalized = normalize_email(email)
        async with self._uow() as uow:
            existing = await uow.users.by_email(normalized)
            if existing is not None and existing.id is not None:
                await uow.users.set_admin(existing.id, True)
                await uow.commit()
                existing.is_admin = True
                return _view(existing)
        return await self.sign_up(email=email, username=username, password=password, admin=True)

    async def disable(self, email: str) -> AccountView:
        """Shut an account out (an operator's decision): no sign-in, and every session ends now.

        Tokens already handed out stop working on this process at once and on the others within
        ``principal_ttl``, as after a logout; the account's data stays. Enabling it again lets it
        sign in anew, never revives the ended sessions.
        """
        now = self._clock.now()
        async with self._uow() as uow:
            user = await self._by_email(uow, email)
            await uow.users.set_disabled(_id(user), now)
            ended = await uow.sessions.revoke_all(_id(user), now, RevokeReason.ADMIN)
            await uow.commit()
        for session_id in ended:
            self._principals.pop(session_id, None)
        user.disabled_at = now
        return _view(user)

    async def enable(self, email: str) -> AccountView:
        async with self._uow() as uow:
            user = await self._by_email(uow, email)
            await uow.users.set_disabled(_id(user), None)
            await uow.commit()
        user.disabled_at = None
        return _view(user)

    @staticmethod
    async def _by_email(uow: AccountsUnitOfWork, email: str) -> User:
        user = await uow.users.by_email(normalize_email(email))
        if user is None:
            raise NotFound("No account has this email.")
        return user

    async def _issue(self, uow: AccountsUnitOfWork, user: User, session: AuthSession) -> TokenPair:
        now = self._clock.now()
        refresh = secrets.token_urlsafe(32)
        await uow.refresh_tokens.add(
            RefreshToken(
                token_hash=hash_refresh_token(refresh),
                session_id=session.id,
                user_id=_id(user),
                issued_at=now,
                expires_at=now + self._refresh_ttl,
            )
        )
        access = self._tokens.issue(
            user_id=_id(user), username=user.username, roles=user.roles, session_id=session.id, now=now
        )
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=self._tokens.ttl_seconds)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash(_DUMMY_PASSWORD)
        return self._dummy_hash
