"""Accounts' published contract: what other contexts may know about a user (primitives only)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["UserSummary"]


@dataclass(frozen=True, slots=True)
class UserSummary:
    """Public facts about an account that other contexts may show (never the email)."""

    id: int
    username: str
