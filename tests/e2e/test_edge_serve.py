"""The edge of real ``serve api`` and ``serve sse`` processes: head and body limits, headers.

uvicorn's httptools protocol bounds nothing in a request's head; ``serve`` does (cli/head_limit.py).
"""

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import httpx
import pytest

from sagopalgo.testing.market import seed_market
from sagopalgo.testing.procs import Service

pytestmark = pytest.mark.xdist_group("edge-serve")

SECRET = "edge-serve-secret-" + "q" * 32
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    work = tmp_path_factory.mktemp("edge")
    env = {
        "SAGOPALGO_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'edge.db'}",
        "SAGOPALGO_MEDIA_DIR": str(work / "media"),
        "SAGOPALGO_JWT_SECRET": SECRET,
        "SAGOPALGO_AUTO_MIGRATE": "true",
        "SAGOPALGO_SCHEDULE": "off",
    }
    api = Service("api", env, log=work / "api.log")
    try:
        api.wait_ready()
        sse = Service("sse", env | {"SAGOPALGO_PUBLIC_BASE_URL": api.base}, log=work / "sse.log")
        try:
            sse.wait_ready()
            market = asyncio.run(seed_market(env["SAGOPALGO_DATABASE_URL"], SECRET, bidders=1))
            yield {
                "api": api.base,
                "sse": sse.base,
                "lot": str(market.lot_id),
                "token": market.bidder_tokens[0],
            }
        finally:
            sse.stop()
    finally:
        api.stop()


def _raw(base: str, head: bytes) -> bytes:
    """Send ``head`` on a fresh connection; everything the server answers until it closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it may answer mid-send
            conn.sendall(head)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def _problem(answer: bytes, status: int, code: str) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith(f"HTTP/1.1 {status} "), lines[0]
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == API_CSP
    problem = httpx.Response(status, content=body).json()
    assert (problem["status"], problem["code"], problem["requestId"]) == (
        status,
        code,
        headers["x-request-id"],
    )


@pytest.mark.parametrize("kind", ["api", "sse"])
def test_a_request_head_over_the_limit_is_a_431_before_anything_runs(
    services: dict[str, str], kind: str
) -> None:
    base = services[kind]
    start = b"GET /health/live HTTP/1.1\r\nHost: x\r\n"
    fine = start + b"X-Fine: " + b"a" * 12_000 + b"\r\n\r\n"
    assert _raw(base, fine).startswith(b"HTTP/1.1 200 ")  # under 16 KiB: served
    # one huge line (never completed: the server must not wait for its end), many lines, a long URL
    for head in (
        start + b"X-Big: " + b"a" * 2_000_000,
        start + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n",
        b"GET /health/live?" + b"q" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        _problem(_raw(base, head), 431, "HEADERS_TOO_LARGE")
    # a token the auth would check, in a head too large: refused before authentication
    token = b"Authorization: Bearer " + services["token"].encode() + b"\r\n"
    big = b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n" + token + b"X-Pad: " + b"p" * 17_000 + b"\r\n\r\n"
    _problem(_raw(base, big), 431, "HEADERS_TOO_LARGE")
    assert httpx.get(f"{base}/health/ready").status_code == 200  # and it goes on serving


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def _form(size: int) -> Iterator[bytes]:
    """A photo upload's form, streamed: the fields, then a file of ``size`` bytes."""
    for name in ("key", "Content-Type", "expires", "max_bytes"):
        yield f'--edge\r\nContent-Disposition: form-data; name="{name}"\r\n\r\nx\r\n'.encode()
    yield b'--edge\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
    yield b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n"
    yield from _chunks(size)
    yield b"\r\n--edge--\r\n"


def test_bodies_over_the_limit_are_413_even_chunked_without_a_length(services: dict[str, str]) -> None:
    api = services["api"]
    with httpx.Client(base_url=api, timeout=30) as client:
        for path, size in (
            ("/api/v1/accounts", 2 * 1024 * 1024),
            ("/api/v1/uploads/local", 12 * 1024 * 1024),
        ):
            declared = client.post(path, content=b" " * size, headers={"Content-Type": "application/json"})
            chunked = client.post(path, content=_chunks(size), headers={"Content-Type": "application/json"})
            assert "content-length" not in chunked.request.headers
            assert chunked.request.headers["transfer-encoding"] == "chunked"
            for response in (declared, chunked):
                assert response.status_code == 413, (path, response.text)
                assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
                assert response.headers["x-content-type-options"] == "nosniff"
        form = client.post(
            "/api/v1/uploads/local",
            content=_form(12 * 1024 * 1024),
            headers={"Content-Type": "multipart/form-data; boundary=edge"},
        )
        assert form.status_code == 413, form.text
        assert "content-length" not in form.request.headers
    # The SSE service reads no body at all: its routes are GETs; another method is refused unread.
    with httpx.Client(base_url=services["sse"], timeout=30) as client:
        path = f"/sse/v1/lots/{services['lot']}/events"
        refused = client.post(path, content=_chunks(20 * 1024 * 1024))
        assert refused.status_code == 405
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/health/ready").status_code == 200


def test_streams_and_pages_of_real_processes_carry_the_security_headers(services: dict[str, str]) -> None:
    with httpx.stream("GET", f"{services['sse']}/sse/v1/lots/{services['lot']}/events", timeout=10) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["x-content-type-options"] == "nosniff"
        assert stream.headers["content-security-policy"] == API_CSP
        assert stream.headers["cache-control"] == "no-cache"  # the stream's own
    pages = services["api"]
    stream_cors = httpx.get(
        f"{services['sse']}/sse/v1/lots/987654321/events", headers={"Origin": pages}, timeout=10
    )
    assert stream_cors.headers["access-control-allow-origin"] == pages
    other = httpx.get(
        f"{services['sse']}/sse/v1/lots/987654321/events",
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    assert "access-control-allow-origin" not in other.headers
    for path in ("/api/v1/lots", "/nowhere", "/schema", "/"):
        response = httpx.get(f"{pages}{path}", timeout=10)
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["content-security-policy"], path


class _Transport(asyncio.Transport):
    """Enough of a socket transport for uvicorn's protocol to take a request and answer it."""

    def get_extra_info(self, name: str, default: object = None) -> object:
        return {"sockname": ("127.0.0.1", 8001), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def test_the_bounded_head_costs_an_open_connection_no_memory() -> None:
    """An open stream's protocol object is as small with the head bound as without it.

    uvicorn's protocol keeps its state in a key-sharing ``__dict__``; three more attributes there
    made each instance's dict a 1.5 KiB private one — 1.4 KiB more per open SSE connection, which
    took bench/sse.py past its 20 KiB-per-connection target. The bound keeps its state in slots.
    """
    import sys

    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    from sagopalgo.cli.head_limit import bounded_head
    from sagopalgo.platform.settings import Settings

    release = asyncio.Event()

    async def app(scope: object, receive: object, send: object) -> None:  # a stream that stays open
        await release.wait()

    config = Config(app=app, http="httptools", lifespan="off", log_level="warning")
    config.load()
    sizes = []
    for cls in (HttpToolsProtocol, bounded_head(HttpToolsProtocol, Settings(), "http://127.0.0.1")):
        protocol = cls(config=config, server_state=ServerState(), app_state={})
        protocol.connection_made(_Transport())
        protocol.data_received(b"GET /sse HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        await asyncio.sleep(0.01)
        sizes.append(sys.getsizeof(protocol.__dict__))
        protocol.connection_lost(None)
    release.set()
    await asyncio.sleep(0.01)
    plain, bounded = sizes
    assert bounded <= plain, f"the bounded protocol's state is {bounded - plain} bytes bigger"
