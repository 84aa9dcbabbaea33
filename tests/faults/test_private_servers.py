"""The fault tests' own servers do what the tests rely on: data survives restarts, a freeze hangs."""

import socket
from pathlib import Path

import pytest
from redis import Redis

from sagopalgo.testing.procs import PrivateMariaDB, PrivateRedis
from sagopalgo.testing.services import mariadb_exec

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]


def _rows(server: PrivateMariaDB) -> list[int]:
    import asyncio

    import asyncmy

    async def read() -> list[int]:
        conn = await asyncmy.connect(host="127.0.0.1", port=server.port, user="root", db="kept")
        try:
            async with conn.cursor() as cursor:
                await cursor.execute("SELECT n FROM t ORDER BY n")
                return [int(n) for (n,) in await cursor.fetchall()]
        finally:
            conn.close()

    return asyncio.run(read())


def test_mariadb_keeps_committed_rows_across_stop_and_kill(private_mariadb: PrivateMariaDB) -> None:
    private_mariadb.create_database("kept")
    mariadb_exec(
        private_mariadb.url, "CREATE TABLE kept.t (n INT PRIMARY KEY)", "INSERT INTO kept.t VALUES (1)"
    )
    private_mariadb.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", private_mariadb.port), timeout=1).close()
    private_mariadb.start()
    mariadb_exec(private_mariadb.url, "INSERT INTO kept.t VALUES (2)")
    private_mariadb.kill()
    private_mariadb.start()
    assert _rows(private_mariadb) == [1, 2]


def test_a_frozen_mariadb_accepts_connections_but_never_greets(private_mariadb: PrivateMariaDB) -> None:
    private_mariadb.freeze()
    try:
        with socket.create_connection(("127.0.0.1", private_mariadb.port), timeout=2) as conn:
            conn.settimeout(1)
            with pytest.raises(TimeoutError):
                conn.recv(64)
    finally:
        private_mariadb.thaw()
    with socket.create_connection(("127.0.0.1", private_mariadb.port), timeout=2) as conn:
        conn.settimeout(5)
        assert b"MariaDB" in conn.recv(256)


def test_durable_redis_keeps_streams_and_groups_across_a_restart(tmp_path: Path) -> None:
    server = PrivateRedis(tmp_path, durable=True)
    server.start()
    try:
        client = Redis.from_url(server.url)
        client.xgroup_create("s", "g", id="0", mkstream=True)
        client.xadd("s", {"a": "1"})
        client.xreadgroup("g", "c", {"s": ">"})
        client.set("k", "v")
        client.close()
        server.restart()
        client = Redis.from_url(server.url)
        assert client.get("k") == b"v"
        assert client.xpending("s", "g")["pending"] == 1, "the unacknowledged entry is still pending"
        client.close()
    finally:
        server.stop()


def test_plain_redis_loses_everything_on_a_restart(tmp_path: Path) -> None:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        client = Redis.from_url(server.url)
        client.set("k", "v")
        server.restart()
        assert client.get("k") is None
        client.close()
    finally:
        server.stop()
