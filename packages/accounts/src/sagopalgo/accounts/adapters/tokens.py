"""Access tokens on Litestar's JWT support, with time taken from the clock port.

Litestar's ``Token`` checks ``exp``/``iat`` against the wall clock when a token is built and PyJWT
does again when one is decoded; a clock port must be the only source of "now" (tests stand at any
moment), so ``ClockedToken`` turns those wall-clock checks off and the auth handler checks expiry
against the clock instead. Signature, algorithm (HS256 only: ``alg: none`` is refused), issuer and
audience are still verified by PyJWT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.security.jwt import Token

from sagopalgo.kernel.clock import ensure_aware

__all__ = ["ALGORITHM", "AUDIENCE", "ISSUER", "ClockedToken", "JwtAccessTokenIssuer"]

ALGORITHM = "HS256"
ISSUER = "sagopalgo"
AUDIENCE = "sagopalgo-api"


@dataclass
class ClockedToken(Token):
    """A JWT whose time claims are judged by our clock, not by the machine's."""

    sid: str = ""
    """The sign-in session the token belongs to; revoking the session ends the token."""

    def __post_init__(self) -> None:
        if not self.sub:
            raise ValueError("sub must not be empty")
        self.exp = ensure_aware(self.exp)
        self.iat = ensure_aware(self.iat)

    @classmethod
    def decode_payload(
        cls,
        encoded_token: str,
        secret: str,
        algorithms: list[str],
        issuer: Any = None,
        audience: Any = None,
        options: Any = None,
    ) -> Any:
        opts = dict(options or {})
        opts.update(
            verify_exp=False, verify_iat=False, verify_nbf=False, require=["exp", "iat", "sub", "sid"]
        )
        return super().decode_payload(
            encoded_token,
            secret,
            algorithms,
            issuer=issuer,
            audience=audience,
            options=opts,  # type: ignore[arg-type]
        )


class JwtAccessTokenIssuer:
    """Signs HS256 access tokens (``sub`` = user id, ``sid`` = session) valid for ``ttl_seconds``."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 characters")
        self._secret = secret
        self._ttl = ttl_seconds

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    def issue(
        self, *, user_id: int, username: str, roles: frozenset[str], session_id: str, now: datetime
    ) -> str:
        token = ClockedToken(
            sub=str(user_id),
            exp=now + timedelta(seconds=self._ttl),
            iat=now,
            iss=ISSUER,
            aud=AUDIENCE,
            sid=session_id,
        )
        return token.encode(self._secret, ALGORITHM)
