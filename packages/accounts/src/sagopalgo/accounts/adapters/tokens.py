"""Access tokens on Litestar's JWT support, with time taken from the clock port.

Litestar's ``Token`` checks ``exp``/``iat`` against the wall clock when a token is built and PyJWT
does again when one is decoded; a clock port must be the only source of "now" (tests stand at any
moment), so ``ClockedToken`` turns those wall-clock checks off and the auth handler checks expiry
against the clock instead. Signature, algorithm (HS256 only: ``alg: none`` is refused), issuer and
audience are still verified by PyJWT.

Verifying a token is the costliest step of an authenticated request (a fifth of a bid's time in
the profile): the verified payload of recently seen tokens is remembered, keyed by the exact token
string and the verification parameters, so a bidder's repeat requests skip the HMAC and JSON work.
A token's signature cannot become valid or invalid later, and expiry and the session are still
checked on every request, so the cache changes no answer. Refused tokens are never remembered.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from litestar.security.jwt import Token

from sagopalgo.kernel.clock import ensure_aware

__all__ = ["ALGORITHM", "AUDIENCE", "ISSUER", "ClockedToken", "JwtAccessTokenIssuer"]

VERIFIED_TOKENS_KEPT = 20_000
"""About 1 KiB each: a bounded few MiB however many distinct tokens arrive."""

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
            verify_exp=False, verify_iat=False, verify_nbf=False, require=("exp", "iat", "sub", "sid")
        )
        payload = _verified(
            encoded_token,
            secret,
            tuple(algorithms),
            _frozen(issuer),
            _frozen(audience),
            tuple(sorted(opts.items())),
        )
        return dict(payload)  # Litestar rewrites the payload it gets; the cached one stays intact


def _frozen(value: Any) -> Hashable:
    return value if value is None or isinstance(value, str) else tuple(value)


@lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified(
    token: str,
    secret: str,
    algorithms: tuple[str, ...],
    issuer: Any,
    audience: Any,
    options: tuple[tuple[str, Any], ...],
) -> dict[str, Any]:
    opts: dict[str, Any] = dict(options)
    opts["require"] = list(opts.get("require", ()))
    verified: dict[str, Any] = jwt.decode(
        token,
        key=secret,
        algorithms=list(algorithms),
        issuer=list(issuer) if isinstance(issuer, tuple) else issuer,
        audience=list(audience) if isinstance(audience, tuple) else audience,
        options=opts,  # type: ignore[arg-type]
    )
    return verified


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
