"""timestamps keep microseconds on mysql

Every timestamp column was created as ``DateTimeUTC``, which MySQL/MariaDB render as a bare
``DATETIME``: no fractional seconds, so a bid placed at 12:00:00.734 was stored as 12:00:00 (SQLite
kept the milliseconds, so the two deployments disagreed). They become ``DATETIME(6)``, what
``UtcDateTime`` renders there. SQLite stores timestamps as text with microseconds already: nothing
to do. Downgrading truncates the stored fractions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 07:03:23.068687
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (column, nullable)
TIMESTAMPS: dict[str, tuple[tuple[str, bool], ...]] = {
    "accounts_users": (("created_at", False), ("disabled_at", True)),
    "accounts_sessions": (("created_at", False), ("revoked_at", True)),
    "accounts_refresh_tokens": (("issued_at", False), ("expires_at", False), ("spent_at", True)),
    "catalog_lots": (("opens_at", False), ("closes_at", False), ("created_at", False)),
    "catalog_uploads": (("created_at", False), ("expires_at", False), ("verified_at", True)),
    "bidding_bids": (("placed_at", False),),
    "bidding_lot_states": (("closes_at", False),),
}


def _retype(column_type: str) -> None:
    if op.get_context().dialect.name not in ("mysql", "mariadb"):
        return
    # One ALTER per table, so a table is rebuilt once however many of its columns change.
    for table, columns in TIMESTAMPS.items():
        modify = ", ".join(
            f"MODIFY `{name}` {column_type} {'NULL' if nullable else 'NOT NULL'}"
            for name, nullable in columns
        )
        op.execute(f"ALTER TABLE `{table}` {modify}")


def upgrade() -> None:
    _retype("DATETIME(6)")


def downgrade() -> None:
    _retype("DATETIME")
