"""The deployment's schema: every context's tables, migrated by Alembic as one history.

Contexts own their tables (and their ``MetaData``); only the composition knows them all, so the
migration environment lives here.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from sagopalgo.accounts.adapters.sql.tables import metadata as accounts_metadata
from sagopalgo.bidding.adapters.sql.tables import metadata as bidding_metadata
from sagopalgo.catalog.adapters.sql.tables import metadata as catalog_metadata
from sagopalgo.payments.adapters.sql.tables import metadata as payments_metadata
from sagopalgo.search.adapters.sql.tables import metadata as search_metadata

__all__ = ["alembic_config", "check_no_drift", "target_metadata", "upgrade"]


def target_metadata() -> list[MetaData]:
    return [accounts_metadata, catalog_metadata, bidding_metadata, payments_metadata, search_metadata]


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(str(files("sagopalgo.api") / "migrations"))))
    # ``%`` would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (blocking: call it from a thread in async code)."""
    command.upgrade(alembic_config(database_url), revision)


def check_no_drift(database_url: str) -> None:
    """Raise if the models and the migrated database differ (``alembic check``)."""
    command.check(alembic_config(database_url))
