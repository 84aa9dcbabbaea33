"""Payments in SQL: orders and webhook receipts (SQLite embedded, MariaDB in production)."""
