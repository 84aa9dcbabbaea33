"""Accounts' refusals, each with the stable code API.md promises."""

from __future__ import annotations

from sagopalgo.kernel.errors import Conflict, Unauthenticated

__all__ = [
    "EmailTaken",
    "InvalidCredentials",
    "InvalidRefreshToken",
    "RefreshTokenReused",
    "UsernameTaken",
]


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"


class UsernameTaken(Conflict):
    code = "USERNAME_TAKEN"


class InvalidCredentials(Unauthenticated):
    code = "INVALID_CREDENTIALS"


class InvalidRefreshToken(Unauthenticated):
    code = "INVALID_REFRESH_TOKEN"


class RefreshTokenReused(Unauthenticated):
    """A spent refresh token came back: someone holds a copy, so the whole session is revoked."""

    code = "REFRESH_TOKEN_REUSED"
