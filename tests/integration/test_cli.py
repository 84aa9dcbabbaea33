"""The sagopalgo command: migrate, create-admin, and start-up refusing bad settings."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar

from sagopalgo.cli.main import cli
from sagopalgo.cli.serving import server_for
from sagopalgo.platform.settings import load_settings


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SAGOPALGO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}


def test_migrate_then_create_admin_then_promote(env: dict[str, str]) -> None:
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"], env=env)
    assert migrated.exit_code == 0, migrated.output
    created = runner.invoke(
        cli,
        [
            "create-admin",
            "--email",
            "Boss@Example.com",
            "--username",
            "boss",
            "--password",
            "boss-password-1",
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    assert "boss <boss@example.com>" in created.output
    again = runner.invoke(
        cli,
        ["create-admin", "--email", "boss@example.com", "--username", "other", "--password", "x"],
        env=env,
    )
    assert again.exit_code == 0, again.output
    assert "boss <boss@example.com>" in again.output


def test_create_admin_refuses_a_short_password(env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["migrate"], env=env)
    result = runner.invoke(
        cli, ["create-admin", "--email", "a@example.com", "--username", "ab", "--password", "short"], env=env
    )
    assert result.exit_code != 0
    assert "VALIDATION_FAILED" in result.output


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({}, "SAGOPALGO_JWT_SECRET"),
        ({"SAGOPALGO_PORT": "http"}, "SAGOPALGO_PORT"),
        ({"SAGOPALGO_JWT_SECRET": "too-short"}, "SAGOPALGO_JWT_SECRET"),
    ],
)
def test_serve_api_stops_on_missing_or_malformed_settings(
    env: dict[str, str], extra: dict[str, str], named: str
) -> None:
    result = CliRunner().invoke(cli, ["serve", "api"], env={**env, **extra})
    assert result.exit_code != 0
    assert named in result.output


def test_serve_keeps_idle_connections_as_long_as_the_settings_say() -> None:
    """Behind the ALB the keep-alive must outlast its idle timeout (infra sets both)."""
    app = Litestar(route_handlers=[])
    assert server_for(app, load_settings({})).config.timeout_keep_alive == 5
    tuned = load_settings({"SAGOPALGO_KEEP_ALIVE_SECONDS": "125"})
    assert server_for(app, tuned).config.timeout_keep_alive == 125
