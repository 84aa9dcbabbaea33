"""The account aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sagopalgo.kernel.identity import ADMIN, USER

__all__ = ["User"]


@dataclass(slots=True)
class User:
    """A registered person; ``id`` is ``None`` until the repository stores it."""

    email: str
    username: str
    password_hash: str
    created_at: datetime
    is_admin: bool = False
    disabled_at: datetime | None = None
    id: int | None = field(default=None)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset({USER, ADMIN}) if self.is_admin else frozenset({USER})

    @property
    def active(self) -> bool:
        return self.disabled_at is None
