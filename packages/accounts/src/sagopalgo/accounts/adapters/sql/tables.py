"""Accounts' own tables; no other context references them."""

from __future__ import annotations

from advanced_alchemy.types import BigIntIdentity
from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table

from sagopalgo.platform.sql import UtcDateTime, new_metadata

__all__ = ["metadata", "refresh_tokens", "sessions", "users"]

metadata = new_metadata()

users = Table(
    "accounts_users",
    metadata,
    Column("id", BigIntIdentity, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("username", String(30), nullable=False),
    Column("username_key", String(30), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
)

sessions = Table(
    "accounts_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("accounts_users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revoke_reason", String(16), nullable=True),
    Index("ix_accounts_sessions_user_id", "user_id"),
)

refresh_tokens = Table(
    "accounts_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(32), ForeignKey("accounts_sessions.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("spent_at", UtcDateTime(), nullable=True),
    Index("ix_accounts_refresh_tokens_session_id", "session_id"),
)
