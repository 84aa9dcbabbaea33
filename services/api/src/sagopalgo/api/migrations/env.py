"""Alembic environment: runs migrations over an async engine on SQLite or MariaDB/MySQL."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy.types import TypeEngine

from sagopalgo.api.db import target_metadata
from sagopalgo.platform.sql import UtcDateTime, create_engine
from sagopalgo.search.adapters.sql.tables import FTS_TABLE

config = context.config

_FRACTIONAL = frozenset({"DATETIME", "TIMESTAMP", "TIME"})


def _compare_type(
    migration: MigrationContext,
    _inspected_column: Any,
    _metadata_column: Any,
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Tell ``DATETIME`` from ``DATETIME(6)`` on MySQL/MariaDB; leave every other type to Alembic.

    Alembic's own comparison ignores a precision only one side states, so a column that lost its
    fractional seconds would show no drift.
    """
    dialect = migration.dialect
    if dialect.name not in ("mysql", "mariadb"):
        return None
    wanted: str = dialect.type_compiler.process(metadata_type)
    if wanted.split("(")[0].strip().upper() not in _FRACTIONAL:
        return None
    found: str = dialect.type_compiler.process(inspected_type)
    return found != wanted


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the shared timestamp type as ``UtcDateTime()``, imported from the platform."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        autogen_context.imports.add("from sagopalgo.platform.sql import UtcDateTime")
        return "UtcDateTime()"
    return False


def _include_name(name: str | None, type_: str, _parent: Any) -> bool:
    """Leave SQLite's FTS5 index (``search_fts`` and its shadow tables) alone.

    No metadata can describe a virtual table, so autogenerate would otherwise propose dropping it.
    """
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE))


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata(),
        include_name=_include_name,
        compare_type=_compare_type,
        render_item=_render_item,
        compare_server_default=True,
        render_as_batch=True,  # SQLite can only ALTER by copying the table
        **kwargs,
    )


def _run(connection: Any) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
