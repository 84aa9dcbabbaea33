"""A full run at DEBUG never writes a secret: not in any log line, not in any answer.

Real processes (``serve api``, ``serve sse``, the CLI), the fake Toss, MariaDB through a user of the
run's own with a password, and Redis. The walk touches every place a secret is used: the database
password on every connection (and a failed one), the JWT key on every token (and a forged one),
the Toss secret key on every call to Toss.
"""

import asyncio
import base64
import json
import os
import secrets
import subprocess
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import httpx
import pytest

from sagopalgo.kernel.clock import SEOUL
from sagopalgo.payments.adapters.fake_toss import FakeToss
from sagopalgo.testing.market import seed_market
from sagopalgo.testing.procs import BIN, Service
from sagopalgo.testing.services import mariadb_exec, mariadb_server_url

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("no-secrets")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def _forms(secret: str) -> set[str]:
    """A secret and the encodings it may hide in."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"{secret}:".encode()).decode(),  # Toss's Basic auth: "secret:"
        base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="),
        json.dumps(secret)[1:-1],
    }


class Walk:
    def __init__(self, api: str) -> None:
        self.http = httpx.Client(base_url=api, timeout=30)
        self.bodies: list[str] = []

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        self.bodies.append(f"{method} {path} {response.status_code} {dict(response.headers)} {response.text}")
        return response


def test_a_full_run_at_debug_writes_no_secret(tmp_path: Path, redis_url: str, redis_prefix: str) -> None:
    tag = uuid.uuid4().hex[:10]
    server = mariadb_server_url()
    database, user = f"sagopalgo_sec_{tag}", f"sgp_{tag}"
    password = secrets.token_urlsafe(18) + "+/@:%"  # characters a URL must encode
    jwt_secret = secrets.token_urlsafe(48)
    toss_secret = f"test_sk_{secrets.token_hex(16)}"
    host = urlsplit(server.replace("+asyncmy", "")).hostname or "127.0.0.1"
    port = urlsplit(server.replace("+asyncmy", "")).port or 3306
    dsn = f"mysql+asyncmy://{user}:{quote(password, safe='')}@{host}:{port}/{database}"
    hosts = ("'%'", "'localhost'")
    mariadb_exec(
        server,
        f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4",
        *(f"CREATE USER '{user}'@{h} IDENTIFIED BY '{password}'" for h in hosts),
        *(f"GRANT ALL ON `{database}`.* TO '{user}'@{h}" for h in hosts),
    )
    toss = FakeToss(secret_key=toss_secret)
    services: list[Service] = []
    outputs: list[str] = []
    try:
        with toss.running() as toss_url:
            env = {
                "SAGOPALGO_DATABASE_URL": dsn,
                "SAGOPALGO_DATABASE_TIMEOUT_SECONDS": "2",
                "SAGOPALGO_REDIS_URL": redis_url,
                "SAGOPALGO_REDIS_PREFIX": redis_prefix,
                "SAGOPALGO_JWT_SECRET": jwt_secret,
                "SAGOPALGO_TOSS_SECRET_KEY": toss_secret,
                "SAGOPALGO_TOSS_CLIENT_KEY": f"test_ck_{secrets.token_hex(8)}",
                "SAGOPALGO_TOSS_BASE_URL": toss_url,
                "SAGOPALGO_LOG_LEVEL": "DEBUG",
                "SAGOPALGO_MEDIA_DIR": str(tmp_path / "media"),
                "SAGOPALGO_SCHEDULE": "off",
                "SAGOPALGO_AUTH_CACHE_SECONDS": "0",
            }
            clean = {k: v for k, v in os.environ.items() if not k.startswith("SAGOPALGO_")}

            def cli(*args: str) -> None:
                done = subprocess.run(
                    [str(BIN), *args],
                    env=clean | env,
                    capture_output=True,
                    text=True,
                    timeout=180,
                    check=False,
                )
                outputs.append(done.stdout + done.stderr)
                assert done.returncode == 0, done.stdout + done.stderr

            cli("migrate")
            admin_password = secrets.token_urlsafe(12)
            cli(
                "create-admin",
                "--email",
                f"a{tag}@example.com",
                "--username",
                f"a{tag}",
                "--password",
                admin_password,
            )
            api = Service("api", env, log=tmp_path / "api.log")
            services.append(api)
            api.wait_ready()
            sse = Service("sse", env | {"SAGOPALGO_PUBLIC_BASE_URL": api.base}, log=tmp_path / "sse.log")
            services.append(sse)
            sse.wait_ready()
            market = asyncio.run(seed_market(dsn, jwt_secret, bidders=1, minutes_open=0.25))
            walk = Walk(api.base)
            _walk(walk, tag, admin_password, market, toss, sse.base)
            _dependency_failure(walk, server, user, password, hosts)
    finally:
        for service in services:
            service.stop()
        mariadb_exec(
            server,
            f"DROP DATABASE IF EXISTS `{database}`",
            *(f"DROP USER IF EXISTS '{user}'@{h}" for h in hosts),
        )
    logs = "\n".join([*(p.read_text() for p in tmp_path.glob("*.log")), *outputs])
    lines = [line for line in logs.splitlines() if line.strip()]
    assert any('"level":"DEBUG"' in line.replace(" ", "") for line in lines), "the run was not at DEBUG"
    assert any("api started" in line for line in lines)
    loggers = {json.loads(line)["logger"] for line in lines if line.startswith("{")}
    # the calls to Toss, where a Basic auth header would show, were logged
    assert any("/v1/payments/confirm" in line and "httpx" in line for line in lines), sorted(loggers)
    seen = "\n".join([logs, *walk.bodies])
    for name, value in (
        ("database password", password),
        ("JWT key", jwt_secret),
        ("Toss secret key", toss_secret),
        ("DSN", dsn),
        ("admin password", admin_password),
    ):
        for form in _forms(value):
            assert form not in seen, f"the {name} appears ({form[:6]}…)"


def _walk(walk: Walk, tag: str, admin_password: str, market: Any, toss: FakeToss, sse: str) -> None:
    ident = {"email": f"u{tag}@example.com", "username": f"u{tag}", "password": "a-walkers-password"}
    assert walk("POST", "/api/v1/accounts", json=ident).status_code == 201
    pair = walk(
        "POST", "/api/v1/auth/token", json={"email": ident["email"], "password": ident["password"]}
    ).json()
    auth = {"Authorization": f"Bearer {pair['accessToken']}"}
    assert walk("GET", "/api/v1/me", headers=auth).status_code == 200
    admin = walk(
        "POST", "/api/v1/auth/token", json={"email": f"a{tag}@example.com", "password": admin_password}
    )
    admin_auth = {"Authorization": f"Bearer {admin.json()['accessToken']}"}
    category = walk("POST", "/api/v1/categories", json={"name": f"c{tag}"}, headers=admin_auth).json()
    ticket = walk(
        "POST", "/api/v1/uploads/images", json={"contentType": "image/png", "size": len(PNG)}, headers=auth
    )
    sent = httpx.post(
        ticket.json()["uploadUrl"], data=ticket.json()["fields"], files={"file": ("a.png", PNG, "image/png")}
    )
    assert sent.status_code == 204, sent.text
    tomorrow = (datetime.now(SEOUL).date() + timedelta(days=1)).isoformat()
    lot = {
        "title": "백자",
        "description": "",
        "categoryId": category["id"],
        "startPrice": 10_000,
        "bidIncrement": 1_000,
        "auctionDay": tomorrow,
        "imageKeys": [ticket.json()["key"]],
    }
    assert walk("POST", "/api/v1/lots", json=lot, headers=auth).status_code == 201
    # bad inputs and refused tokens
    lot_path = f"/api/v1/lots/{market.lot_id}/bids"
    assert walk("POST", lot_path, json={"amount": 1}, headers=auth).status_code == 409
    assert walk("POST", lot_path, content=b"{not json", headers=auth).status_code == 400
    assert walk("GET", "/api/v1/me", headers={"Authorization": "Bearer forged.token.here"}).status_code == 401
    assert (
        walk(
            "POST", "/api/v1/auth/token", json={"email": ident["email"], "password": "wrong-password"}
        ).status_code
        == 401
    )
    bid = walk("POST", lot_path, json={"amount": market.start_price}, headers=auth)
    assert bid.status_code == 201, bid.text
    with httpx.stream("GET", f"{sse}/sse/v1/lots/{market.lot_id}/events", timeout=10) as stream:
        assert stream.status_code == 200
    time.sleep(16)  # the seeded lot closes 15 s after it was listed
    day = datetime.now(SEOUL).date().isoformat()
    assert walk("POST", f"/api/v1/admin/auction-days/{day}/close", headers=admin_auth).status_code == 200
    award = walk("GET", "/api/v1/me/awards", headers=auth).json()["items"][0]
    checkout = walk("POST", f"/api/v1/awards/{award['id']}/checkout", headers=auth).json()
    paid = toss.authenticate(checkout["orderId"], checkout["amount"])
    confirm = {"paymentKey": paid.payment_key, "orderId": paid.order_id, "amount": paid.amount}
    wrong = walk("POST", "/api/v1/payments/confirm", json=confirm | {"amount": 1}, headers=auth)
    assert wrong.status_code == 422
    done = walk("POST", "/api/v1/payments/confirm", json=confirm, headers=auth)
    assert done.status_code == 200, done.text


def _dependency_failure(walk: Walk, server: str, user: str, password: str, hosts: tuple[str, ...]) -> None:
    """The database refuses the service's user (a rotated password): 503, then it recovers."""
    mariadb_exec(
        server, *(f"ALTER USER '{user}'@{h} IDENTIFIED BY 'rotated-{uuid.uuid4().hex}'" for h in hosts)
    )
    _kill_connections(server, user)
    try:
        statuses = [walk("GET", "/api/v1/lots").status_code for _ in range(3)]
        assert 503 in statuses, statuses
        ready = walk("GET", "/health/ready")
        assert ready.status_code == 503
    finally:
        mariadb_exec(server, *(f"ALTER USER '{user}'@{h} IDENTIFIED BY '{password}'" for h in hosts))
    deadline = time.monotonic() + 30
    while walk("GET", "/health/ready").status_code != 200:
        assert time.monotonic() < deadline, "the API did not recover"
        time.sleep(0.5)


def _kill_connections(server: str, user: str) -> None:
    async def kill() -> None:
        import asyncmy

        parts = urlsplit(server.replace("+asyncmy", ""))
        conn = await asyncmy.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            autocommit=True,
        )
        try:
            async with conn.cursor() as cursor:
                await cursor.execute("SELECT id FROM information_schema.processlist WHERE user = %s", (user,))
                for (thread,) in await cursor.fetchall():
                    await cursor.execute(f"KILL CONNECTION {int(thread)}")
        finally:
            conn.close()

    asyncio.run(kill())
