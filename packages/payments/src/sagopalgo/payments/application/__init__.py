"""Payments use cases: checkout, confirm, refunds, webhooks and reconciliation."""
