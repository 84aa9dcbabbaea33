"""Pytest plugin (``-p sagopalgo.testing.plugin``): real-service fixtures and the no-skip rule.

- Each pytest worker gets its own MariaDB database (``sagopalgo_t_<random>_<worker>``), migrated
  once and dropped at the end, and each test its own Redis key prefix, so parallel runs on the
  shared servers never meet.
- SQLite tests get a private copy of a migrated template file (migrating once per worker).
- Fixtures never skip. Under ``CI`` an unreachable server is an error naming the command that
  starts it, and any skipped test fails the run. Outside CI, tests marked ``integration`` are
  deselected with a loud notice when their server is down, and tests marked ``browser`` when
  Chromium is not installed, so the README's test command still runs everything else on a
  machine that has only Python.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import settings as hypothesis_settings

from sagopalgo.kernel.clock import SEOUL, ManualClock
from sagopalgo.testing.services import (
    MARIADB_START,
    REDIS_START,
    mariadb_exec,
    mariadb_server_url,
    reachable,
    redis_server_url,
)

_IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
_RUN = uuid.uuid4().hex[:8]
_state: dict[str, Any] = {"skipped": [], "deselected": []}
CHROMIUM = os.environ.get("SAGOPALGO_TEST_CHROMIUM", "/usr/bin/chromium")
"""Debian's Chromium, which the browser tests drive (Playwright never downloads a browser here)."""
_REMEDY = {
    "integration": "Start them (see README, 'Running the tests') or set SAGOPALGO_TEST_MARIADB_URL / "
    "SAGOPALGO_TEST_REDIS_URL.",
    "browser": "Install it (`apt-get install chromium`) or set SAGOPALGO_TEST_CHROMIUM to its path.",
}


# Property tests: bounded in CI (``ci``, the default); ``--hypothesis-profile=long`` for a long run
# (``bench/fuzz.py``). No deadline: a step that talks to Redis takes what the shared box gives it.
hypothesis_settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
hypothesis_settings.register_profile("long", max_examples=3_000, deadline=None, print_blob=True)
hypothesis_settings.load_profile("ci")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# ------------------------------------------------------------------ collection and reporting
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & {
            "mariadb_url",
            "mariadb_empty_url",
            "redis_url",
            "redis_prefix",
            "private_redis",
            "private_mariadb",
        }:
            item.add_marker(pytest.mark.integration)
    if _IN_CI:
        return
    if not Path(CHROMIUM).exists():
        _deselect(config, items, "browser", f"Chromium at {CHROMIUM}")
    down = []
    if not reachable(mariadb_server_url()):
        down.append(f"MariaDB at {mariadb_server_url()}")
    if not reachable(redis_server_url()):
        down.append(f"Redis at {redis_server_url()}")
    if down:
        _deselect(config, items, "integration", " and ".join(down))


def _deselect(config: pytest.Config, items: list[pytest.Item], marker: str, missing: str) -> None:
    """Outside CI only: leave out the tests needing what this machine lacks, and say so loudly."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (drop if item.get_closest_marker(marker) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        _state["deselected"].append((marker, len(drop), missing))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _state["skipped"].append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for marker, count, missing in _state["deselected"]:
        terminalreporter.section(f"{marker} tests NOT RUN", sep="!")
        terminalreporter.write_line(
            f"{count} {marker} tests were deselected because {missing} is missing or unreachable. "
            + _REMEDY[marker]
            + " CI never deselects."
        )
    if _IN_CI and _state["skipped"]:
        terminalreporter.section("skipped tests fail CI", sep="!")
        for nodeid in _state["skipped"]:
            terminalreporter.write_line(nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _IN_CI and _state["skipped"] and not hasattr(session.config, "workerinput"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# ------------------------------------------------------------------ time
@pytest.fixture
def clock() -> ManualClock:
    """A clock standing at 10:00 KST on a fixed day; tests move it where they need."""
    return ManualClock(datetime(2026, 11, 25, 10, 0, tzinfo=SEOUL))


# ------------------------------------------------------------------ MariaDB
def _require(url: str, what: str, start: str) -> None:
    if not reachable(url):
        raise RuntimeError(f"{what} is not reachable at {url}. Start it with: {start}")


@contextmanager
def private_database(kind: str) -> Iterator[str]:
    """Create a database of this worker's own on the shared server; drop it afterwards."""
    server = mariadb_server_url()
    _require(server, "MariaDB", MARIADB_START)
    name = f"sagopalgo_{kind}_{_RUN}_{_worker()}"
    mariadb_exec(
        server, f"DROP DATABASE IF EXISTS `{name}`", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"
    )
    try:
        yield f"{server}/{name}"
    finally:
        mariadb_exec(server, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    """A migrated database of this worker's own on the shared MariaDB server."""
    from sagopalgo.api.db import upgrade

    with private_database("t") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def mariadb_empty_url() -> Iterator[str]:
    """An empty (unmigrated) database of this worker's own, for migration tests."""
    with private_database("e") as url:
        yield url


# ------------------------------------------------------------------ SQLite
@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sagopalgo.api.db import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of this test's own (a copy of the worker's template)."""
    target = tmp_path / "sagopalgo.db"
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("mariadb", id="mariadb", marks=pytest.mark.integration),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """Every SQL-backed test runs on the embedded SQLite and on MariaDB."""
    fixture = "sqlite_url" if request.param == "sqlite" else "mariadb_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Any]:
    """An async engine on this test's database (SQLite and MariaDB, by ``database_url``)."""
    from sagopalgo.platform.sql import create_engine

    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


# ------------------------------------------------------------------ Redis
@pytest.fixture(scope="session")
def redis_url() -> str:
    url = redis_server_url()
    _require(url, "Redis", REDIS_START)
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    from redis import Redis

    prefix = f"sagopalgo-test:{_RUN}:{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Any]:
    """A started ``redis-server`` of this test's own (``.url``, ``.stop()``, ``.start()``)."""
    from sagopalgo.testing.procs import PrivateRedis

    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_mariadb() -> Iterator[Any]:
    """A started ``mariadbd`` of this test's own: ``url``, ``stop``, ``kill``, ``freeze``, ``thaw``."""
    from sagopalgo.testing.procs import PrivateMariaDB

    server = PrivateMariaDB()
    server.start()
    try:
        yield server
    finally:
        server.close()


# ------------------------------------------------------------------ S3 (moto, in-process)
MOTO_REGION: Final = "ap-northeast-2"
MOTO_ACCESS_KEY = "testing"
MOTO_SECRET_KEY = "testing"  # noqa: S105 - moto accepts any keys
"""Dummy keys: passing them to each client (not through the environment) keeps other tests untouched."""


@pytest.fixture(scope="session")
def moto_s3_url() -> Iterator[str]:
    """A moto S3 server of this worker's own, spoken to over real HTTP like S3 itself.

    It runs in a thread of the test process, so it needs no external service and tests using it
    are not ``integration`` tests. Port 0 lets the OS pick a free port with no race between workers.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def moto_client(moto_s3_url: str) -> Any:
    """A plain boto3 S3 client on the moto server, with the dummy keys (for test set-up only)."""
    import boto3

    return boto3.client(
        "s3",
        region_name=MOTO_REGION,
        endpoint_url=moto_s3_url,
        aws_access_key_id=MOTO_ACCESS_KEY,
        aws_secret_access_key=MOTO_SECRET_KEY,
    )


@pytest.fixture
def s3_bucket(moto_s3_url: str) -> Iterator[str]:
    """A fresh bucket on the worker's moto server (region ap-northeast-2), emptied and removed afterwards."""
    client = moto_client(moto_s3_url)
    name = f"sagopalgo-test-{_RUN}-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    try:
        yield name
    finally:
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        for item in listed:
            client.delete_object(Bucket=name, Key=item["Key"])
        client.delete_bucket(Bucket=name)
        client.close()
