"""Run the services under uvicorn, one or several in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import resource
import socket
from collections.abc import Coroutine
from typing import Any

import uvicorn
from litestar import Litestar
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sagopalgo.cli.head_limit import bounded_head
from sagopalgo.platform.logs import configure_logging
from sagopalgo.platform.settings import Settings

__all__ = ["bind", "hold_many_connections", "raise_open_files_limit", "run", "serve_one", "server_for"]


def bind(host: str, port: int) -> socket.socket:
    """Bind before serving so port 0 resolves to a real port we can print."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this on Linux. Without it a response written in two pieces
    # (headers, then body) waits for the client's delayed ACK: ~40 ms on every keep-alive request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where installed (``uvicorn[standard]`` brings it), as ``uvicorn.run`` would.

    ``Server.serve`` inside ``asyncio.run`` would otherwise get the stock event loop: on the SSE
    service's fan-out of one bid to thousands of connections, uvloop's C transports and callbacks
    are what keeps the tail latency down, and the API's bid path costs about a quarter less CPU.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop (Windows)
        asyncio.run(main)
        return
    uvloop.run(main)


def raise_open_files_limit() -> int:
    """Lift the soft ``RLIMIT_NOFILE`` to the hard limit: one SSE connection is one descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):  # an unlimited hard limit is not settable
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


GC_THRESHOLDS = (50_000, 50, 100)


def hold_many_connections() -> None:
    """Tune the cyclic GC for a process holding thousands of long-lived connections (SSE).

    Each connection keeps ~75 GC-tracked objects, and each fan-out briefly creates one callback
    handle and one future per connection. With the default thresholds (700, 10, 10) those bursts
    trip young collections that promote them, and every few seconds a full collection walks every
    connection's objects: bench/sse.py saw 1-2 s pauses at 5,000 connections (seconds of p99).
    Freezing what start-up built (modules and the app, ~110k objects) keeps it out of every collection;
    a young threshold above one fan-out's burst lets those objects die young. Cycles are still
    collected, only less often.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def server_for(
    app: Litestar,
    settings: Settings,
    *,
    http: type[asyncio.Protocol] | str = "auto",
    public_url: str | None = None,
) -> uvicorn.Server:
    """A uvicorn server for ``app``, its request heads bounded (``head_limit``).

    ``http``: uvicorn's httptools protocol (``auto``) or a subclass; ``public_url``: the service's,
    for the headers of the answers the server writes itself.
    """
    if http in ("auto", "httptools"):
        http = HttpToolsProtocol
    if isinstance(http, type) and issubclass(http, HttpToolsProtocol):
        http = bounded_head(http, settings, public_url or settings.api_base_url)
    config = uvicorn.Config(
        app,
        http=http,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_keep_alive=settings.keep_alive_seconds,
        server_header=False,
        timeout_graceful_shutdown=10,
        lifespan="on",
    )
    return uvicorn.Server(config)


async def serve_one(service: str, settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format, service=f"sagopalgo-{service}")
    raise_open_files_limit()
    http: type[asyncio.Protocol] | str = "auto"
    if service == "api":
        from sagopalgo.api.app import create_app as create_api

        app = create_api(settings)
        port = settings.port
    else:
        from sagopalgo.sse.app import create_app as create_sse
        from sagopalgo.sse.direct import TransportInScope

        app = create_sse(settings)
        port = settings.sse_port
        http = TransportInScope
        hold_many_connections()
    sock = bind(settings.host, port)
    os.environ.setdefault("SAGOPALGO_WORKER_ID", f"{socket.gethostname()}:{os.getpid()}")
    public_url = settings.api_base_url if service == "api" else settings.sse_base_url
    await server_for(app, settings, http=http, public_url=public_url).serve(sockets=[sock])
