"""Bidding's own tables: every visible bid once (by its id), and each lot's last logged gate state.

The ``bidding_gate_*`` tables hold the row-lock gate (``adapters.sql.gate``, the benchmark's
baseline): a lot's live state, its bidders' aliases, idempotency records, and the bid log as an
outbox. The Redis and in-process gates leave them empty.
"""

from __future__ import annotations

from advanced_alchemy.types import BigIntIdentity
from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, String, Table, Text

from sagopalgo.platform.sql import UtcDateTime, new_metadata

__all__ = [
    "awards",
    "bids",
    "day_runs",
    "gate_aliases",
    "gate_idempotency",
    "gate_log",
    "gate_lots",
    "locks",
    "lot_states",
    "metadata",
]

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
    Column("placed_at", UtcDateTime(), nullable=False),
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
    Column("closes_at", UtcDateTime(), nullable=False),
)

# ---------------------------------------------------------------- the row-lock gate
gate_lots = Table(
    "bidding_gate_lots",
    metadata,
    Column("lot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("seller_id", BigInteger, nullable=False),
    Column("start_price", BigInteger, nullable=False),
    Column("bid_increment", BigInteger, nullable=False),
    Column("opens_ms", BigInteger, nullable=False),
    Column("closes_ms", BigInteger, nullable=False),
    Column("hard_cap_ms", BigInteger, nullable=False),
    Column("extended_bidding", Boolean, nullable=False),
    Column("extension_ms", BigInteger, nullable=False),
    Column("max_krw", BigInteger, nullable=False),
    Column("frozen", Boolean, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("bid_count", Integer, nullable=False),
    Column("leader_id", BigInteger, nullable=False),
    Column("leader_max", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
)

gate_aliases = Table(
    "bidding_gate_aliases",
    metadata,
    Column("lot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("bidder_id", BigInteger, primary_key=True, autoincrement=False),
    Column("alias", Integer, nullable=False),
)

gate_idempotency = Table(
    "bidding_gate_idempotency",
    metadata,
    Column("lot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("bidder_id", BigInteger, primary_key=True, autoincrement=False),
    Column("idempotency_key", String(64), primary_key=True),
    Column("fingerprint", String(255), nullable=False),
    # The first acceptance, in the placement codec's format (adapters/codec.py).
    Column("payload", Text, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
)

gate_log = Table(
    "bidding_gate_log",
    metadata,
    Column("id", BigIntIdentity, primary_key=True, autoincrement=True),
    Column("lot_id", BigInteger, nullable=False),
    Column("bidder_id", BigInteger, nullable=False),
    Column("max_amount", BigInteger, nullable=False),
    Column("placed_at_ms", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    # The bid-log writer that claimed the entry (NULL until one reads it), and when.
    Column("consumer", String(200), nullable=True),
    Column("claimed_at_ms", BigInteger, nullable=True),
)

awards = Table(
    "bidding_awards",
    metadata,
    Column("id", BigIntIdentity, primary_key=True, autoincrement=True),
    Column("lot_id", BigInteger, nullable=False),
    # The lot while this award is due or paid, else NULL: one live award per lot however often a
    # close runs (NULLs never collide), and a lot relisted after its award lapsed may win another.
    Column("live_lot_id", BigInteger, nullable=True, unique=True),
    Column("winner_id", BigInteger, nullable=False),
    Column("seller_id", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("closed_at", UtcDateTime(), nullable=False),
    Column("pay_by", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("paid_at", UtcDateTime(), nullable=True),
    Index("ix_bidding_awards_lot", "lot_id"),
    Index("ix_bidding_awards_winner", "winner_id", "closed_at"),
    Index("ix_bidding_awards_status_pay_by", "status", "pay_by"),
)

day_runs = Table(
    "bidding_day_runs",
    metadata,
    Column("id", BigIntIdentity, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("transition", String(16), nullable=False),
    Column("trigger", String(64), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=False),
    Column("changed", Integer, nullable=False),
    Index("ix_bidding_day_runs_started", "started_at"),
)

locks = Table(
    "bidding_locks",
    metadata,
    # A lease: the holder owns ``name`` until ``expires_at_ms`` (wall clock), then anyone may take it.
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
)
