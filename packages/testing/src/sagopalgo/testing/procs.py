"""Start and stop real service processes for end-to-end and fault tests.

``Service`` runs ``sagopalgo serve api|sse``; ``PrivateRedis`` and ``PrivateMariaDB`` are servers of
a test's own on free ports, for tests that stop, kill, freeze or restart them. Never the shared
servers: stopping those would break every other run on the machine.
"""

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import httpx

BIN = Path(sys.executable).parent / "sagopalgo"

LOAD_LIMIT_SETTINGS: dict[str, int] = {
    "auth_rate_limit_per_minute": 100_000,
    "bid_rate_limit_per_minute": 100_000_000,
    "sse_rate_limit_per_minute": 100_000_000,
    "sse_streams_per_client": 10_000_000,
}
"""Rate limits lifted for whatever drives load from one address (tests, benchmarks, storms).

The limiters still run (a lifted limit costs what a real one does); they just never refuse. The
tests of the limits themselves set their own.
"""
LOAD_LIMITS: dict[str, str] = {f"SAGOPALGO_{k.upper()}": str(v) for k, v in LOAD_LIMIT_SETTINGS.items()}
"""``LOAD_LIMIT_SETTINGS`` as the environment of a ``sagopalgo serve`` or ``demo`` process."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``sagopalgo serve api|sse`` in its own process group, ready when ``/health/ready`` says so.

    Its rate limits are lifted (``LOAD_LIMITS``: everything that starts one drives load from
    127.0.0.1) unless ``env`` sets them.
    """

    def __init__(self, kind: str, env: dict[str, str], *, log: Path | None = None) -> None:
        """``log``: append the process's output (JSON lines, WARNING and up) to this file."""
        self.kind = kind
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SAGOPALGO_")}
        key = "SAGOPALGO_PORT" if kind == "api" else "SAGOPALGO_SSE_PORT"
        out: IO[bytes] | int = subprocess.DEVNULL if log is None else log.open("ab")
        try:
            self.proc = subprocess.Popen(
                [str(BIN), "serve", kind],
                stdout=out,
                stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
                env=clean | {"SAGOPALGO_LOG_LEVEL": "WARNING"} | LOAD_LIMITS | env | {key: str(self.port)},
                start_new_session=True,
            )
        finally:
            if not isinstance(out, int):
                out.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, seconds: float = 90) -> None:
        """Generous: four services importing the whole app at once on a busy 2-core box take a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.base} exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.base} did not become ready")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _wait_answer(
    port: int, hello: bytes, expect: bytes, proc: subprocess.Popen[bytes], seconds: float, what: str
) -> None:
    """Until the server on ``port`` answers ``hello`` with bytes containing ``expect``.

    A listening socket is not enough: Redis answers ``-LOADING`` while it reads its dump, and a
    MariaDB that has bound its port may not greet yet.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{what} on {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                if hello:
                    conn.sendall(hello)
                if expect in conn.recv(256):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{what} on {port} did not start within {seconds} s")


def _end(proc: subprocess.Popen[bytes] | None, *, graceful: bool, seconds: float = 30) -> None:
    if proc is None or proc.poll() is not None:
        return
    if graceful:
        proc.send_signal(signal.SIGCONT)  # a frozen server cannot shut down
        proc.terminate()
        try:
            proc.wait(timeout=seconds)
            return
        except subprocess.TimeoutExpired:
            pass
    proc.kill()
    proc.wait(timeout=10)


class PrivateRedis:
    """A ``redis-server`` of the test's own on a free port, for tests that restart or kill Redis.

    ``durable``: SIGTERM makes it write its dataset (an RDB file in ``data_dir``) before exiting,
    and a start loads it, so ``restart`` keeps every key (streams, consumer groups and their
    pending entries included); ``kill`` still loses everything since the last save. Not durable
    (the default), a restart starts empty, as a server without persistence does. Production relies
    on neither: ElastiCache's failover promotes a replica (README, Operations).
    """

    def __init__(self, data_dir: Path, *, durable: bool = False) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = data_dir
        self._durable = durable
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, seconds: float = 30) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (CI installs it with apt).")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self._dir)]
        args += ["--save", "", "--appendonly", "no", "--dbfilename", "dump.rdb"]
        args += ["--shutdown-on-sigterm", "save" if self._durable else "nosave"]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_answer(self.port, b"PING\r\n", b"+PONG", self._proc, seconds, "private redis-server")

    def stop(self) -> None:
        """SIGTERM: a durable server saves first. SIGKILL if it has not exited within 30 s."""
        _end(self._proc, graceful=True)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL: nothing is saved."""
        _end(self._proc, graceful=False)
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


class PrivateMariaDB:
    """A ``mariadbd`` of the test's own: a fresh data directory, a free port, its own socket.

    It runs as the current user (``--user``; as root MariaDB insists on being told), only on
    127.0.0.1, with ``root`` and no password. Its data directory lives as long as the object, so
    ``stop``/``kill`` and ``start`` again keep every committed row (InnoDB flushes its log at each
    commit); ``freeze``/``thaw`` stop and continue the process (SIGSTOP/SIGCONT): the kernel still
    accepts connections on its port, but nothing answers them — a hung server, not a dead one.
    """

    def __init__(self, base_dir: Path | None = None) -> None:
        # The socket's path must fit in sun_path (108 bytes): a short directory of its own.
        self._base = Path(base_dir) if base_dir is not None else Path(tempfile.mkdtemp(prefix="sgp-mdb-"))
        self._own_base = base_dir is None
        self._run = Path(tempfile.mkdtemp(prefix="sgp-mdb-run-"))
        self._data = self._base / "data"
        self.port = free_port()
        self.url = f"mysql+asyncmy://root@127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._frozen = False

    @property
    def log(self) -> Path:
        return self._base / "mariadbd.err"

    def _install(self) -> None:
        binary = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        if binary is None:
            raise RuntimeError("mariadb-install-db is not installed (apt-get install mariadb-server).")
        self._data.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                binary,
                "--no-defaults",
                f"--datadir={self._data}",
                f"--user={getpass.getuser()}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self, seconds: float = 60) -> None:
        binary = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        if not Path(binary).exists():
            raise RuntimeError("mariadbd is not installed (apt-get install mariadb-server).")
        if not (self._data / "mysql").is_dir():
            self._install()
        self._proc = subprocess.Popen(
            [
                binary,
                "--no-defaults",
                f"--datadir={self._data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self._run / 'mysqld.sock'}",
                f"--pid-file={self._run / 'mysqld.pid'}",
                f"--log-error={self.log}",
                f"--user={getpass.getuser()}",
                "--skip-name-resolve",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                "--innodb-buffer-pool-size=64M",
                "--max-connections=400",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._frozen = False
        # The server's greeting names its version; "mariadb" is in every one of them.
        _wait_answer(self.port, b"", b"MariaDB", self._proc, seconds, "private mariadbd")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """A clean shutdown (SIGTERM, thawed first); SIGKILL if it takes over 30 s."""
        _end(self._proc, graceful=True)
        self._proc, self._frozen = None, False

    def kill(self) -> None:
        """SIGKILL: InnoDB recovers committed transactions at the next start."""
        _end(self._proc, graceful=False)
        self._proc, self._frozen = None, False

    def freeze(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            raise RuntimeError("mariadbd is not running")
        self._proc.send_signal(signal.SIGSTOP)
        self._frozen = True

    def thaw(self) -> None:
        if self._proc is not None and self._frozen:
            self._proc.send_signal(signal.SIGCONT)
        self._frozen = False

    def create_database(self, name: str) -> str:
        """Create database ``name`` (utf8mb4) and return its URL."""
        from sagopalgo.testing.services import mariadb_exec

        mariadb_exec(self.url, f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
        return f"{self.url}/{name}"

    def close(self) -> None:
        """Stop the server and remove its files."""
        self.kill()
        shutil.rmtree(self._run, ignore_errors=True)
        if self._own_base:
            shutil.rmtree(self._base, ignore_errors=True)
