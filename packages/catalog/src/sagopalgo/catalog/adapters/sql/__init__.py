"""Catalog's tables and repositories on SQLAlchemy Core (SQLite and MariaDB/MySQL)."""
