"""``sagopalgo demo | serve | migrate | create-admin | disable-account | enable-account | reindex``."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click

from sagopalgo.platform.settings import Settings, SettingsError, load_settings

__all__ = ["cli"]


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(None, **overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(help="Sagopalgo (사고팔고): a real-time auction house.")
def cli() -> None:
    pass


@cli.command(help="Run the API and the SSE service on embedded defaults, with demo data.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int, help="API port (0 picks a free one).")
@click.option("--sse-port", default=8001, show_default=True, type=int, help="SSE port (0 picks a free one).")
@click.option("--data-dir", default="./var/demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--fresh", is_flag=True, help="Delete the demo database first.")
def demo(host: str, port: int, sse_port: int, data_dir: str, fresh: bool) -> None:
    from sagopalgo.cli.demo import run_demo
    from sagopalgo.cli.serving import run

    run(run_demo(host=host, port=port, sse_port=sse_port, data_dir=Path(data_dir), fresh=fresh))


@cli.command(help="Run one service configured from SAGOPALGO_* variables (production entry).")
@click.argument("service", type=click.Choice(["api", "sse"]))
def serve(service: str) -> None:
    from sagopalgo.cli.serving import run, serve_one

    settings = _settings()
    try:
        run(serve_one(service, settings))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command(help="Apply database migrations up to the latest revision.")
@click.option("--revision", default="head", show_default=True)
def migrate(revision: str) -> None:
    from sagopalgo.api.db import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database migrated to {revision}")


@cli.command("create-admin", help="Create an admin account (or promote the account with that email).")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option(
    "--password",
    default=lambda: os.environ.get("SAGOPALGO_ADMIN_PASSWORD", ""),
    help="Defaults to $SAGOPALGO_ADMIN_PASSWORD; prompted for when neither is given.",
)
def create_admin(email: str, username: str, password: str) -> None:
    from sagopalgo.cli.admin import create_admin_account
    from sagopalgo.kernel.errors import DomainError

    if not password:
        if not sys.stdin.isatty():
            raise click.ClickException("no password: pass --password or set SAGOPALGO_ADMIN_PASSWORD")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    try:
        view = asyncio.run(create_admin_account(settings, email=email, username=username, password=password))
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    click.echo(f"admin #{view.id} {view.username} <{view.email}> ready")


def _set_enabled(email: str, *, enabled: bool) -> None:
    from sagopalgo.cli.admin import set_account_enabled
    from sagopalgo.kernel.errors import DomainError

    settings = _settings()
    try:
        view = asyncio.run(set_account_enabled(settings, email=email, enabled=enabled))
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    click.echo(f"account #{view.id} {view.username} <{view.email}> {'enabled' if enabled else 'disabled'}")


@cli.command(
    "disable-account",
    help="Shut an account out: it cannot sign in, and every session it has ends now.",
)
@click.option("--email", required=True)
def disable_account(email: str) -> None:
    _set_enabled(email, enabled=False)


@cli.command("enable-account", help="Let a disabled account sign in again (its old sessions stay ended).")
@click.option("--email", required=True)
def enable_account(email: str) -> None:
    _set_enabled(email, enabled=True)


@cli.command(help="Rebuild the search index from the database (searches go on meanwhile).")
def reindex() -> None:
    from sagopalgo.cli.search import reindex_lots

    settings = _settings()
    done = asyncio.run(reindex_lots(settings))
    click.echo(f"search index rebuilt ({done.backend}): {done.lots} lots in {done.seconds:.1f} s")
