"""SQLAlchemy engine set-up for the two supported databases (SQLite embedded, MariaDB/MySQL).

Contexts own their tables, each with its own ``MetaData``; they all use ``NAMING_CONVENTION`` so
constraint names are stable across databases (Alembic needs that to find no drift, and adapters use
the names to tell which unique constraint a duplicate hit). Every timestamp column is a
``UtcDateTime``, so both databases keep the same instants to the microsecond.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeEngine

from sagopalgo.kernel.errors import Unavailable

__all__ = [
    "NAMING_CONVENTION",
    "SqlUnitOfWork",
    "UtcDateTime",
    "create_engine",
    "is_outage",
    "new_metadata",
    "outage_as_unavailable",
    "session_factory",
    "violated_constraint",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(DateTimeUTC):
    """An aware UTC instant, kept to the microsecond on every database.

    ``DateTimeUTC`` stores UTC and reads back aware datetimes, but on MySQL/MariaDB its
    ``DateTime`` renders as a bare ``DATETIME``, which drops the fractional seconds (a bid placed
    at 12:00:00.734 would read back as 12:00:00). There it is ``DATETIME(6)``; elsewhere
    (SQLite's text, PostgreSQL's ``TIMESTAMP WITH TIME ZONE``) microseconds are kept already.
    """

    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return super().load_dialect_impl(dialect)


def new_metadata() -> MetaData:
    """A context's own metadata, with the shared naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    timeout: float = 5.0,
    read_timeout: float | None = None,
    echo: bool = False,
) -> AsyncEngine:
    """Create the async engine for ``url`` with the per-backend settings that keep it honest.

    ``timeout`` bounds the TCP connect and the wait for a pooled connection; ``read_timeout``
    (MariaDB/MySQL) bounds every wait for the server's answer — a query's, the pre-ping's and a
    new connection's handshake. Without it a server that stops answering without closing its
    connections (frozen, or gone behind a half-open connection) held every request on it for
    ever: the connect timeout covers only the TCP connect, which a frozen server's kernel still
    completes. asyncmy closes a connection whose read timed out, SQLAlchemy sees a disconnect and
    invalidates it, and the request answers 503.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": timeout}
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "mysql":
        query = dict(parsed.query)
        query.setdefault("charset", "utf8mb4")
        parsed = parsed.set(query=query)
        kwargs.update(
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            pool_recycle=1800,
            pool_timeout=timeout,
            connect_args={"connect_timeout": timeout}
            | ({"read_timeout": read_timeout} if read_timeout is not None else {}),
        )
        return create_async_engine(parsed, **kwargs)
    raise ValueError(f"unsupported database backend {parsed.get_backend_name()!r}: use sqlite or mysql")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while the single writer commits; busy_timeout makes writers queue
    # instead of failing with "database is locked" when the API and its workers write together.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


_CONSTRAINT = re.compile(r"(uq_[A-Za-z0-9_]+|pk_[A-Za-z0-9_]+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")


def violated_constraint(exc: IntegrityError) -> str:
    """Name what a duplicate hit: the constraint name on MySQL, ``table.column`` list on SQLite."""
    text = str(exc.orig)
    if match := _SQLITE_UNIQUE.search(text):
        return match.group(1)
    if match := _CONSTRAINT.search(text):
        return match.group(1)
    return text


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached or stopped answering.

    Not that a statement was wrong: what the HTTP edge answers with 503. ``OperationalError`` also
    covers a deadlock or a lock wait timeout, which a retry a moment later gets past as well.
    """
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeoutError | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@contextmanager
def outage_as_unavailable(what: str = "The database") -> Iterator[None]:
    """Re-raise an outage (``is_outage``) inside the block as the kernel's ``Unavailable``.

    For callers outside the adapters that must tell an outage from a bad statement (a background
    worker's retry policy). Other errors pass unchanged.
    """
    try:
        yield
    except Exception as exc:
        if is_outage(exc):
            raise Unavailable(f"{what} is unavailable: {type(exc).__name__}.") from exc
        raise


class SqlUnitOfWork:
    """One ``AsyncSession`` transaction that a context's repositories share.

    Leaving without ``commit`` rolls back, so a use case that raises half-way changes nothing.
    Subclasses bind their repositories to the session in ``_bind``.
    """

    def __init__(self, sessions_factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = sessions_factory

    def _bind(self, session: AsyncSession) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        self._session = self._factory()
        self._bind(self._session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._session.rollback()
        finally:
            await self._session.close()

    async def commit(self) -> None:
        await self._session.commit()
