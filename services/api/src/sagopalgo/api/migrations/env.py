"""Alembic environment: runs migrations over an async engine on SQLite or MariaDB/MySQL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context

from sagopalgo.api.db import target_metadata
from sagopalgo.platform.sql import create_engine

config = context.config


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata(),
        compare_type=True,
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
