"""``sagopalgo demo``: the whole marketplace in one process on embedded defaults, with demo data.

Both services run in this one event loop, so they share in-process adapters (the event bus, once
bidding exists) and nothing outside Python is needed: SQLite, in-process stores, local files. The
payment provider is a local fake of Toss Payments (the sandbox), on a port of its own, that sends
its webhooks to the API: winners can check out and pay with no Toss account.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.api.app import create_app as create_api
from sagopalgo.api.composition import LocalBus, auction_window, build_accounts
from sagopalgo.api.db import upgrade
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.cli.demo_lots import WON, seed_lots
from sagopalgo.cli.serving import bind, server_for
from sagopalgo.kernel.clock import Clock, SystemClock
from sagopalgo.kernel.identity import Principal
from sagopalgo.payments.adapters.fake_toss import DEFAULT_SECRET_KEY, FakeToss
from sagopalgo.platform.logs import configure_logging
from sagopalgo.platform.settings import Settings, load_settings
from sagopalgo.platform.sql import create_engine, session_factory
from sagopalgo.sse.app import create_app as create_sse
from sagopalgo.sse.direct import TransportInScope

__all__ = ["DEMO_TOSS_CLIENT_KEY", "DEMO_USERS", "DemoUser", "run_demo", "seed_demo"]

DEMO_TOSS_CLIENT_KEY = "test_ck_sagopalgo_fake_0000000000"
"""The sandbox's client key; its secret key is the fake Toss's own (``DEFAULT_SECRET_KEY``)."""


@dataclass(frozen=True)
class DemoUser:
    email: str
    username: str
    password: str
    admin: bool = False


DEMO_USERS = (
    DemoUser("admin@sagopalgo.kr", "admin", "admin-demo-pass", admin=True),
    DemoUser("seller@sagopalgo.kr", "고미술상", "seller-demo-pass"),
    DemoUser("bidder1@sagopalgo.kr", "collector1", "bidder-demo-pass"),
    DemoUser("bidder2@sagopalgo.kr", "collector2", "bidder-demo-pass"),
)


def _demo_settings(data_dir: Path, host: str, port: int, sse_port: int, toss_url: str) -> Settings:
    """Embedded defaults under ``data_dir``; ``port`` is the real bound port (upload URLs name it).

    Payments go to the local fake Toss at ``toss_url`` with its test keys.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_file = data_dir / "jwt-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48))
        secret_file.chmod(0o600)
    return load_settings(
        database_url=f"sqlite+aiosqlite:///{(data_dir / 'sagopalgo.db').resolve()}",
        redis_url=None,
        jwt_secret=secret_file.read_text().strip(),
        auto_migrate=True,
        host=host,
        port=port,
        sse_port=sse_port,
        log_format="console",
        public_base_url=f"http://{host}:{port}",
        media_dir=str((data_dir / "media").resolve()),
        toss_secret_key=DEFAULT_SECRET_KEY,
        toss_client_key=DEMO_TOSS_CLIENT_KEY,
        toss_base_url=toss_url,
    )


async def seed_demo(settings: Settings, clock: Clock | None = None) -> tuple[AuctionWindow, int]:
    """Create the demo accounts and lots if absent (idempotent, so restarting keeps the data).

    Returns the window of today's demo lots and how many lots were listed now.
    """
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        service = build_accounts(sessions, settings, clock)
        for user in DEMO_USERS:
            async with SqlAccountsUnitOfWork(sessions) as uow:
                exists = await uow.users.by_email(user.email)
            if exists is None:
                if user.admin:
                    await service.make_admin(email=user.email, username=user.username, password=user.password)
                else:
                    await service.sign_up(email=user.email, username=user.username, password=user.password)
        seller = await _principal(sessions, DEMO_USERS[1].email)
        winner = await _principal(sessions, DEMO_USERS[2].email)
        return await seed_lots(settings, engine, clock, seller, winner)
    finally:
        await engine.dispose()


async def _principal(sessions: Any, email: str) -> Principal:
    async with SqlAccountsUnitOfWork(sessions) as uow:
        found = await uow.users.by_email(email)
    if found is None or found.id is None:  # pragma: no cover - created just before
        raise RuntimeError(f"the demo account {email} is missing")
    return Principal(user_id=found.id, username=found.username, roles=found.roles, session_id="demo-seed")


async def run_demo(*, host: str, port: int, sse_port: int, data_dir: Path, fresh: bool) -> None:
    if fresh and data_dir.exists():  # noqa: ASYNC240 - start-up, before serving
        shutil.rmtree(data_dir)
    api_sock, sse_sock = bind(host, port), bind(host, sse_port)
    api_port, sse_real_port = api_sock.getsockname()[1], sse_sock.getsockname()[1]
    base = f"http://{host}:{api_port}"
    # The Toss sandbox: a fake Toss on a free port (its own thread) whose webhooks reach this API.
    sandbox = FakeToss(webhook_url=f"{base}/api/v1/payments/webhooks/toss")
    with sandbox.running(host) as toss_url:
        settings = _demo_settings(data_dir, host, api_port, sse_real_port, toss_url)
        configure_logging("INFO", "console", service="sagopalgo-demo")
        await asyncio.to_thread(upgrade, settings.database_url)
        window, listed = await seed_demo(settings)
        regular = auction_window(settings)
        bus = LocalBus()  # one in-process gate and event log, shared by both apps
        api = server_for(create_api(settings, bus=bus), settings)
        sse = server_for(
            create_sse(settings, events=bus.events),
            settings,
            http=TransportInScope,
            public_url=settings.sse_base_url,
        )
        click.echo(
            "\n".join(
                [
                    "",
                    "Sagopalgo demo (embedded: SQLite, in-process stores; no Redis or MariaDB needed)",
                    f"  web          {base}/  (the marketplace in a browser)",
                    f"  API          {base}/api/v1",
                    f"  API docs     {base}/schema",
                    f"  SSE service  http://{host}:{sse_real_port}/sse/v1",
                    f"  Toss sandbox {toss_url}  (a local fake of Toss Payments; POST /_test/authenticate",
                    "               {orderId, amount} stands in for the buyer's checkout window)",
                    f"  data         {data_dir.resolve()}",  # noqa: ASYNC240
                    f"  open now     today's demo lots, {window.opens:%H:%M}-{window.closes:%H:%M} KST"
                    f" ({listed} lots listed at this start)",
                    "  your lots    follow the regular window"
                    f" {regular.opens:%H:%M}-{regular.closes:%H:%M} KST",
                    f'  to pay       {DEMO_USERS[2].username} won yesterday\'s "{WON.title}": sign in as'
                    f" {DEMO_USERS[2].email} and pay at {base}/me/awards",
                    "  demo logins (email / password):",
                    *(f"    {u.email:<24} {u.password}{'   (admin)' if u.admin else ''}" for u in DEMO_USERS),
                    "Press Ctrl+C to stop.",
                    "",
                ]
            ),
        )
        await asyncio.gather(api.serve(sockets=[api_sock]), sse.serve(sockets=[sse_sock]))
