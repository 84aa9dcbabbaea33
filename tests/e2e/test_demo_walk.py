"""A newcomer's first minutes: the README's run command starts both services; the walk works."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from sagopalgo.testing.procs import LOAD_LIMITS

pytestmark = pytest.mark.xdist_group("demo")

BIN = Path(sys.executable).parent / "sagopalgo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    api_port, sse_port = _free_port(), _free_port()
    data = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGOPALGO_")} | LOAD_LIMITS
    proc = subprocess.Popen(
        [str(BIN), "demo", "--port", str(api_port), "--sse-port", str(sse_port), "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    api, sse = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sse_port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"demo exited early:\n{proc.stdout.read() if proc.stdout else ''}")
            try:
                if (
                    httpx.get(f"{api}/health/ready").status_code == 200
                    and httpx.get(f"{sse}/health/ready").status_code == 200
                ):
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("demo did not become ready within 60 s")
        yield {"api": api, "sse": sse}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        if "admin@sagopalgo.kr" not in output or "Toss sandbox http://127.0.0.1:" not in output:
            raise AssertionError(f"demo did not print its logins and Toss sandbox:\n{output}")


def test_sign_up_sign_in_me_refresh_reuse_logout(demo: dict[str, str]) -> None:
    with httpx.Client(base_url=demo["api"], timeout=10) as client:
        tag = uuid.uuid4().hex[:8]
        ident = {"email": f"new{tag}@example.com", "username": f"new{tag}", "password": "my-first-password"}
        assert client.post("/api/v1/accounts", json=ident).status_code == 201
        pair = client.post(
            "/api/v1/auth/token", json={"email": ident["email"], "password": ident["password"]}
        ).json()
        auth = {"Authorization": f"Bearer {pair['accessToken']}"}
        assert client.get("/api/v1/me", headers=auth).json()["username"] == ident["username"]
        new = client.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
        assert new.status_code == 200
        reuse = client.post("/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]})
        assert (reuse.status_code, reuse.json()["code"]) == (401, "REFRESH_TOKEN_REUSED")
        again = client.post(
            "/api/v1/auth/token", json={"email": ident["email"], "password": ident["password"]}
        ).json()
        bye = client.post(
            "/api/v1/auth/logout",
            json={"refreshToken": again["refreshToken"]},
            headers={"Authorization": f"Bearer {again['accessToken']}"},
        )
        assert bye.status_code == 204
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {again['accessToken']}"}).status_code
            == 401
        )


def test_the_printed_demo_admin_can_sign_in(demo: dict[str, str]) -> None:
    with httpx.Client(base_url=demo["api"], timeout=10) as client:
        pair = client.post(
            "/api/v1/auth/token", json={"email": "admin@sagopalgo.kr", "password": "admin-demo-pass"}
        )
        assert pair.status_code == 200
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair.json()['accessToken']}"})
        assert me.json()["roles"] == ["admin", "user"]
    assert httpx.get(f"{demo['sse']}/schema/openapi.json").status_code == 200


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def test_a_newcomer_lists_a_lot_for_a_coming_day_and_finds_it(demo: dict[str, str]) -> None:
    """List categories, upload a photo, list a lot for tomorrow, find it in the list and its detail."""
    with httpx.Client(base_url=demo["api"], timeout=10) as client:
        categories = client.get("/api/v1/categories").json()
        assert "도자기" in [c["name"] for c in categories]
        tag = uuid.uuid4().hex[:8]
        ident = {"email": f"s{tag}@example.com", "username": f"s{tag}", "password": "my-first-password"}
        assert client.post("/api/v1/accounts", json=ident).status_code == 201
        token = client.post(
            "/api/v1/auth/token", json={"email": ident["email"], "password": ident["password"]}
        ).json()
        auth = {"Authorization": f"Bearer {token['accessToken']}"}

        ticket = client.post(
            "/api/v1/uploads/images", json={"contentType": "image/png", "size": len(PNG)}, headers=auth
        )
        assert ticket.status_code == 201, ticket.text
        sent = httpx.post(
            ticket.json()["uploadUrl"],
            data=ticket.json()["fields"],
            files={"file": ("a.png", PNG, "image/png")},
        )
        assert sent.status_code == 204, sent.text

        seoul_today = datetime.now(ZoneInfo("Asia/Seoul")).date()
        day = (seoul_today + timedelta(days=1)).isoformat()
        body = {
            "title": "백자 청화 연적",
            "description": "19세기",
            "categoryId": categories[0]["id"],
            "startPrice": 200_000,
            "bidIncrement": 10_000,
            "auctionDay": day,
            "imageKeys": [ticket.json()["key"]],
        }
        created = client.post("/api/v1/lots", json=body, headers=auth)
        assert created.status_code == 201, created.text
        lot_id = created.json()["id"]

        found = client.get(
            "/api/v1/lots", params={"auctionDay": day, "sellerId": created.json()["seller"]["id"]}
        )
        assert [item["id"] for item in found.json()["items"]] == [lot_id]
        detail = client.get(f"/api/v1/lots/{lot_id}").json()
        assert (detail["opensAt"], detail["closesAt"]) == (f"{day}T09:00:00+09:00", f"{day}T18:00:00+09:00")
        image = httpx.get(detail["images"][0]["url"])
        assert (image.status_code, image.content, image.headers["content-type"]) == (200, PNG, "image/png")


def test_the_demo_has_lots_open_right_now(demo: dict[str, str]) -> None:
    with httpx.Client(base_url=demo["api"], timeout=10) as client:
        open_now = client.get("/api/v1/lots", params={"status": "OPEN"}).json()
        assert open_now["total"] >= 6
        now = datetime.now(ZoneInfo("Asia/Seoul"))
        for item in open_now["items"]:
            assert datetime.fromisoformat(item["opensAt"]) <= now < datetime.fromisoformat(item["closesAt"])


def _sse_events(lines: Iterator[str], wanted: int) -> list[dict[str, str]]:
    """Parse server-sent events off a stream's lines until ``wanted`` events arrived."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "event" in current:
                events.append(current)
                if len(events) >= wanted:
                    return events
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            current[name] = value.strip()
    return events


def test_bids_reach_a_live_stream_and_a_reconnect_replays_what_it_missed(demo: dict[str, str]) -> None:
    with httpx.Client(base_url=demo["api"], timeout=10) as client:
        tokens = [
            client.post("/api/v1/auth/token", json={"email": email, "password": "bidder-demo-pass"}).json()[
                "accessToken"
            ]
            for email in ("bidder1@sagopalgo.kr", "bidder2@sagopalgo.kr")
        ]
        lot = client.get("/api/v1/lots", params={"status": "OPEN", "sort": "priceDesc"}).json()["items"][0]
        url = f"{demo['sse']}/sse/v1/lots/{lot['id']}/events"

        def bid(token: str, amount: int) -> None:
            placed = client.post(
                f"/api/v1/lots/{lot['id']}/bids",
                json={"amount": amount},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert placed.status_code == 201, placed.text

        with httpx.stream("GET", url, timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            snapshot = _sse_events(lines, 1)[0]
            assert snapshot["event"] == "snapshot"
            state = json.loads(snapshot["data"])
            first, second = lot["minimumNextBid"], lot["minimumNextBid"] + lot["bidIncrement"]
            bid(tokens[0], first)
            bid(tokens[1], second)
            live = _sse_events(lines, 2)
        assert [e["event"] for e in live] == ["bid", "bid"]
        data = [json.loads(e["data"]) for e in live]
        assert [(d["amount"], d["bidCount"]) for d in data] == [
            (first, state["bidCount"] + 1),
            (second, state["bidCount"] + 2),
        ]
        assert data[0]["bidder"] != data[1]["bidder"]
        assert data[0]["placedAt"].endswith("+09:00")

        with httpx.stream("GET", url, headers={"Last-Event-ID": live[0]["id"]}, timeout=10) as again:
            replay = _sse_events(again.iter_lines(), 2)
        assert [e["event"] for e in replay] == ["snapshot", "bid"]
        assert json.loads(replay[0]["data"])["currentPrice"] == first  # the state as of that id
        assert (json.loads(replay[1]["data"])["amount"], replay[1]["id"]) == (second, live[1]["id"])


def test_payments_run_against_the_demos_toss_sandbox(demo: dict[str, str]) -> None:
    """The demo configures its local fake Toss, so checkout answers as in production (not 503)."""
    with httpx.Client(base_url=demo["api"], timeout=10) as client:
        token = client.post(
            "/api/v1/auth/token", json={"email": "bidder1@sagopalgo.kr", "password": "bidder-demo-pass"}
        ).json()["accessToken"]
        missing = client.post(
            "/api/v1/awards/999999999/checkout", headers={"Authorization": f"Bearer {token}"}
        )
        assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
        notice = client.post(
            "/api/v1/payments/webhooks/toss",
            json={"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "tgen_unknown"}},
            headers={"tosspayments-webhook-transmission-id": f"whtrans_{uuid.uuid4().hex}"},
        )
        assert notice.status_code == 200
