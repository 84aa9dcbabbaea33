"""Who is calling: the one identity type every context's HTTP adapter may read from a request.

Accounts authenticates and builds it; the other contexts only read it, so it lives in the kernel
rather than in accounts' internals.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ADMIN", "USER", "Principal"]

USER = "user"
ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: account id, public username and roles."""

    user_id: int
    username: str
    roles: frozenset[str]
    session_id: str = ""

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles
