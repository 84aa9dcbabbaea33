"""Run the services under uvicorn, one or several in one event loop."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Coroutine
from typing import Any

import uvicorn
from litestar import Litestar

from sagopalgo.platform.logs import configure_logging
from sagopalgo.platform.settings import Settings

__all__ = ["bind", "run_served", "serve_one", "server_for"]


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


def run_served(main: Coroutine[Any, Any, None]) -> None:
    """Run a serving coroutine on uvloop where it is installed (every platform but Windows).

    ``uvicorn.run`` would pick uvloop itself, but we drive ``Server.serve`` from our own
    ``asyncio.run`` (to pass pre-bound sockets), which would silently keep the pure-Python loop: the
    bid path measured a third faster on uvloop.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows has no uvloop; the standard loop serves
        asyncio.run(main)
        return
    uvloop.run(main)


def server_for(app: Litestar, settings: Settings) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        timeout_graceful_shutdown=10,
        lifespan="on",
    )
    return uvicorn.Server(config)


async def serve_one(service: str, settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format, service=f"sagopalgo-{service}")
    if service == "api":
        from sagopalgo.api.app import create_app as create_api

        app = create_api(settings)
        port = settings.port
    else:
        from sagopalgo.sse.app import create_app as create_sse

        app = create_sse(settings)
        port = settings.sse_port
    sock = bind(settings.host, port)
    os.environ.setdefault("SAGOPALGO_WORKER_ID", f"{socket.gethostname()}:{os.getpid()}")
    await server_for(app, settings).serve(sockets=[sock])
