"""Bidding's own tables: every visible bid once (by its id), and each lot's last logged gate state."""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table

from sagopalgo.platform.sql import new_metadata

__all__ = ["bids", "lot_states", "metadata"]

metadata = new_metadata()

bids = Table(
    "bidding_bids",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("lot_id", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("bidder_id", BigInteger, nullable=False),
    Column("alias", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("proxy", Boolean, nullable=False),
    Column("placed_at", DateTimeUTC(timezone=True), nullable=False),
    Index("ix_bidding_bids_lot_seq", "lot_id", "seq", unique=True),
    Index("ix_bidding_bids_bidder_placed", "bidder_id", "placed_at"),
)

lot_states = Table(
    "bidding_lot_states",
    metadata,
    Column("lot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("bid_count", Integer, nullable=False),
    Column("leader_id", BigInteger, nullable=False),
    Column("leader_max", BigInteger, nullable=False),
    Column("closes_at", DateTimeUTC(timezone=True), nullable=False),
)
