"""Where the shared MariaDB and Redis live for tests, and how to tell a missing one clearly."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from urllib.parse import urlsplit

__all__ = [
    "MARIADB_START",
    "REDIS_START",
    "mariadb_server_url",
    "reachable",
    "redis_server_url",
]

MARIADB_START = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
REDIS_START = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'


def mariadb_server_url() -> str:
    """Server URL without a database: ``SAGOPALGO_TEST_MARIADB_URL`` or root@127.0.0.1:3306."""
    return os.environ.get("SAGOPALGO_TEST_MARIADB_URL", "mysql+asyncmy://root@127.0.0.1:3306").rstrip("/")


def redis_server_url() -> str:
    return os.environ.get("SAGOPALGO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def reachable(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url.replace("+asyncmy", ""))
    default = 3306 if parts.scheme.startswith("mysql") else 6379
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default), timeout=timeout
        ):
            return True
    except OSError:
        return False


async def _mariadb_exec(server_url: str, *statements: str) -> None:
    import asyncmy

    parts = urlsplit(server_url.replace("+asyncmy", ""))
    conn = await asyncmy.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
        autocommit=True,
    )
    quiet = logging.getLogger("asyncmy")  # it logs the server's notes, e.g. DROP ... IF EXISTS
    level, quiet.level = quiet.level, logging.ERROR
    try:
        async with conn.cursor() as cursor:
            for statement in statements:
                await cursor.execute(statement)
    finally:
        quiet.setLevel(level)
        conn.close()


def mariadb_exec(server_url: str, *statements: str) -> None:
    asyncio.run(_mariadb_exec(server_url, *statements))
