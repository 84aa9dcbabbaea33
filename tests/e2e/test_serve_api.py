"""The production entry: ``sagopalgo serve api`` on MariaDB + Redis, with JSON logs on stdout."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_demo_walk import _free_port

pytestmark = pytest.mark.xdist_group("serve-api")

BIN = Path(sys.executable).parent / "sagopalgo"
SECRET = "e2e-serve-secret-" + "z" * 32


def test_serve_api_walk_and_json_logs(mariadb_url: str, redis_url: str, redis_prefix: str) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGOPALGO_")}
    env.update(
        SAGOPALGO_DATABASE_URL=mariadb_url,
        SAGOPALGO_REDIS_URL=redis_url,
        SAGOPALGO_REDIS_PREFIX=redis_prefix,
        SAGOPALGO_JWT_SECRET=SECRET,
        SAGOPALGO_PORT=str(port),
        SAGOPALGO_LOG_FORMAT="json",
    )
    proc = subprocess.Popen(
        [str(BIN), "serve", "api"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("serve api did not become ready")
        tag = uuid.uuid4().hex[:8]
        ident = {"email": f"prod{tag}@example.com", "username": f"prod{tag}", "password": "production-pass"}
        with httpx.Client(base_url=base, timeout=10) as client:
            assert (
                client.post(
                    "/api/v1/accounts", json=ident, headers={"X-Request-ID": f"rid-{tag}"}
                ).status_code
                == 201
            )
            pair = client.post(
                "/api/v1/auth/token", json={"email": ident["email"], "password": ident["password"]}
            )
            assert pair.status_code == 200
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair.json()['accessToken']}"})
            assert me.json()["email"] == ident["email"]
            assert client.get("/nowhere").status_code == 404
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "sagopalgo.access"]
    assert any(r["request_id"] == f"rid-{tag}" and r["status"] == 201 for r in access), access
    assert all(r["request_id"] for r in access)
    assert SECRET not in output
    assert ident["password"] not in output
