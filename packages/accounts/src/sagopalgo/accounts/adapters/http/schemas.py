"""Wire types of the accounts endpoints (camelCase per API.md)."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["AccountOut", "MeOut", "RefreshIn", "SignInIn", "SignUpIn", "TokenPairOut"]

# Generous wire bounds: the domain gives the precise messages; these only stop absurd payloads
# (a megabyte "password" would otherwise reach argon2).
_Short = Annotated[str, msgspec.Meta(max_length=320)]
_Secret = Annotated[str, msgspec.Meta(max_length=1024)]


class SignUpIn(msgspec.Struct, forbid_unknown_fields=True):
    email: _Short
    username: _Short
    password: _Secret


class SignInIn(msgspec.Struct, forbid_unknown_fields=True):
    email: _Short
    password: _Secret


class RefreshIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class AccountOut(msgspec.Struct):
    id: int
    email: str
    username: str


class MeOut(msgspec.Struct):
    id: int
    email: str
    username: str
    roles: list[str]


class TokenPairOut(msgspec.Struct, rename="camel"):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
