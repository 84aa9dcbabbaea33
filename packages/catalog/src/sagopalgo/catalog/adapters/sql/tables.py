"""Catalog's own tables. Sellers are referenced by id only: accounts' tables belong to accounts."""

from __future__ import annotations

from advanced_alchemy.types import BigIntIdentity
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from sagopalgo.platform.sql import UtcDateTime, new_metadata

__all__ = ["categories", "lot_transitions", "lots", "metadata", "uploads"]

metadata = new_metadata()

categories = Table(
    "catalog_categories",
    metadata,
    Column("id", BigIntIdentity, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False),
    Column("name_key", String(50), nullable=False, unique=True),
)

lots = Table(
    "catalog_lots",
    metadata,
    Column("id", BigIntIdentity, primary_key=True, autoincrement=True),
    Column("seller_id", BigInteger, nullable=False),
    Column("seller_username", String(30), nullable=False),
    Column("title", String(100), nullable=False),
    Column("description", Text, nullable=False),
    # RESTRICT: a category in use cannot be deleted, and the database decides even under a race.
    Column(
        "category_id", BigInteger, ForeignKey("catalog_categories.id", ondelete="RESTRICT"), nullable=False
    ),
    Column("start_price", BigInteger, nullable=False),
    Column("bid_increment", BigInteger, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("bid_count", Integer, nullable=False),
    Column("auction_day", Date, nullable=False),
    Column("opens_at", UtcDateTime(), nullable=False),
    Column("closes_at", UtcDateTime(), nullable=False),
    Column("extended_bidding", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("start_price >= 1 AND bid_increment >= 1 AND price >= start_price", name="money"),
    CheckConstraint("bid_count >= 0", name="bid_count"),
    Index("ix_catalog_lots_day_status_closes", "auction_day", "status", "closes_at"),
    Index("ix_catalog_lots_status_created", "status", "created_at"),
    Index("ix_catalog_lots_category_created", "category_id", "created_at"),
    Index("ix_catalog_lots_seller_created", "seller_id", "created_at"),
)

uploads = Table(
    "catalog_uploads",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("owner_id", BigInteger, nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("max_bytes", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("verified_at", UtcDateTime(), nullable=True),
    Column("lot_id", BigInteger, ForeignKey("catalog_lots.id", ondelete="SET NULL"), nullable=True),
    Column("position", Integer, nullable=True),
    Index("ix_catalog_uploads_lot_position", "lot_id", "position"),
    Index("ix_catalog_uploads_owner_created", "owner_id", "created_at"),
)

lot_transitions = Table(
    "catalog_lot_transitions",
    metadata,
    # The audit trail of a lot's statuses: appended in the transaction that moves the lot.
    Column("id", BigIntIdentity, primary_key=True, autoincrement=True),
    Column("lot_id", BigInteger, ForeignKey("catalog_lots.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    # The seller or admin who moved it; NULL for the auction day (bidding's journal says which run).
    Column("actor_id", BigInteger, nullable=True),
    Index("ix_catalog_lot_transitions_lot", "lot_id", "id"),
)
