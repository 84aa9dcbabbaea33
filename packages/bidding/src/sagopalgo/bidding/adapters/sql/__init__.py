"""Bidding's tables and repository on SQLAlchemy Core (SQLite and MariaDB/MySQL)."""
