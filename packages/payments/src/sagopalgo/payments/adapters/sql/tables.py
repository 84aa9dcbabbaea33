"""Payments' own tables: one row per order (an attempt to pay an award), and webhook deliveries."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from sagopalgo.platform.sql import UtcDateTime, new_metadata

__all__ = ["metadata", "orders", "webhook_receipts"]

metadata = new_metadata()

orders = Table(
    "payments_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("award_id", BigInteger, nullable=False),
    # The award while this order is live (open, confirming, paid), else NULL: at most one live
    # order per award, enforced here (NULLs never collide in a unique index).
    Column("live_award_id", BigInteger, nullable=True, unique=True),
    Column("buyer_id", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("order_name", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("payment_key", String(200), nullable=True),
    Column("confirming_since", UtcDateTime(), nullable=True),
    Column("method", String(32), nullable=True),
    Column("approved_at", UtcDateTime(), nullable=True),
    Column("receipt_url", String(500), nullable=True),
    Column("failure_code", String(64), nullable=True),
    Column("refunded_amount", BigInteger, nullable=False, default=0),
    Column("refunded_at", UtcDateTime(), nullable=True),
    Column("refund_reason", String(200), nullable=True),
    Index("ix_payments_orders_award", "award_id"),
    Index("ix_payments_orders_status_confirming", "status", "confirming_since"),
)

webhook_receipts = Table(
    "payments_webhook_receipts",
    metadata,
    Column("transmission_id", String(100), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("payment_key", String(200), nullable=True),
    Column("order_id", String(64), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("processed_at", UtcDateTime(), nullable=True),
    Index("ix_payments_webhook_receipts_pending", "processed_at", "received_at"),
)
