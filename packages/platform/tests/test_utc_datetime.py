"""``UtcDateTime`` keeps aware UTC instants to the microsecond on SQLite and on MariaDB.

On MariaDB the plain ``DateTimeUTC`` is a ``DATETIME`` without fractional seconds: this fails there.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, Integer, Table, insert, select
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.kernel.clock import SEOUL
from sagopalgo.platform.sql import UtcDateTime, new_metadata


async def test_an_instant_reads_back_equal_aware_and_in_utc(engine: AsyncEngine) -> None:
    metadata = new_metadata()
    table = Table(
        f"t_utc_{uuid.uuid4().hex[:12]}",  # the MariaDB database is shared by a worker's tests
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("at", UtcDateTime(), nullable=True),
    )
    written = {
        1: datetime(2026, 3, 4, 5, 6, 7, 123_456, tzinfo=UTC),
        2: datetime(2026, 3, 4, 14, 6, 7, 999_999, tzinfo=SEOUL),  # stored as UTC
        3: datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        4: None,
    }
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(table), [{"id": k, "at": v} for k, v in written.items()])
        async with engine.connect() as conn:
            read = {row.id: row.at for row in await conn.execute(select(table))}
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)

    assert read == written
    for at in (read[1], read[2], read[3]):
        assert at is not None
        assert at.utcoffset() == timedelta(0)
    assert read[2] == datetime(2026, 3, 4, 5, 6, 7, 999_999, tzinfo=UTC)


async def test_a_naive_datetime_is_refused(engine: AsyncEngine) -> None:
    metadata = new_metadata()
    table = Table(
        f"t_utc_{uuid.uuid4().hex[:12]}",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("at", UtcDateTime(), nullable=False),
    )
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        with pytest.raises(StatementError, match="tzinfo is required"):
            async with engine.begin() as conn:
                await conn.execute(insert(table).values(id=1, at=datetime(2026, 3, 4, 5, 6, 7)))
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
