"""Sign-in sessions and their rotating refresh tokens.

A session is one sign-in on one device. Each refresh spends the presented token and issues the next
one in the same session (rotation). A token presented a second time means a copy exists somewhere:
the session — every token of its family — is revoked (reuse detection), and logging out revokes it
too. Access tokens name their session, so revoking it also ends the short-lived access tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sagopalgo.accounts.domain.errors import InvalidRefreshToken

__all__ = ["AuthSession", "RefreshToken", "RevokeReason"]


class RevokeReason:
    LOGOUT = "logout"
    REUSE = "reuse"
    ADMIN = "admin"


@dataclass(slots=True)
class AuthSession:
    id: str
    user_id: int
    created_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(slots=True)
class RefreshToken:
    """A refresh token as stored: only its hash, never the token itself."""

    token_hash: str
    session_id: str
    user_id: int
    issued_at: datetime
    expires_at: datetime
    spent_at: datetime | None = None

    def check_spendable(self, now: datetime, session: AuthSession) -> None:
        """Raise unless this token may be exchanged now; reuse is told apart by the caller."""
        if not session.active or now >= self.expires_at:
            raise InvalidRefreshToken("The refresh token is expired or revoked; sign in again.")
