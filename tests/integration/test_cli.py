"""The sagopalgo command: migrate, create-admin, disabling accounts, start-up refusing bad settings."""

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sagopalgo.api.app import create_app
from sagopalgo.cli.main import cli
from sagopalgo.cli.serving import server_for
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.settings import load_settings
from tests.conftest import JWT_SECRET
from tests.integration.helpers import PASSWORD, assert_problem, bearer, sign_up_and_in


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


async def test_a_disabled_account_is_shut_out_of_a_running_api_at_once(
    env: dict[str, str], tmp_path: Path, clock: ManualClock
) -> None:
    """The original trusted a token's claims alone, so a banned user kept access for its 25 days."""
    runner = CliRunner()
    assert (await asyncio.to_thread(runner.invoke, cli, ["migrate"], env=env)).exit_code == 0
    settings = load_settings(
        {}, database_url=env["SAGOPALGO_DATABASE_URL"], jwt_secret=JWT_SECRET, media_dir=str(tmp_path / "m")
    )
    async with AsyncTestClient(app=create_app(settings, clock=clock)) as api:
        ident, pair = await sign_up_and_in(api)
        _, other = await sign_up_and_in(api)
        assert (await api.get("/api/v1/me", headers=bearer(pair["accessToken"]))).status_code == 200

        def command(*args: str) -> str:
            result = runner.invoke(cli, [*args], env=env)
            assert result.exit_code == 0, result.output
            return result.output

        assert "disabled" in await asyncio.to_thread(command, "disable-account", "--email", ident["email"])
        clock.advance(timedelta(seconds=settings.auth_cache_seconds))  # what another process may remember
        login = {"email": ident["email"], "password": PASSWORD}
        assert_problem(
            await api.get("/api/v1/me", headers=bearer(pair["accessToken"])), 401, "UNAUTHENTICATED"
        )
        refresh = {"refreshToken": pair["refreshToken"]}
        assert_problem(await api.post("/api/v1/auth/refresh", json=refresh), 401, "INVALID_REFRESH_TOKEN")
        assert_problem(await api.post("/api/v1/auth/token", json=login), 401, "INVALID_CREDENTIALS")
        assert (await api.get("/api/v1/me", headers=bearer(other["accessToken"]))).status_code == 200

        assert "enabled" in await asyncio.to_thread(command, "enable-account", "--email", ident["email"])
        assert (await api.post("/api/v1/auth/token", json=login)).status_code == 200
    unknown = await asyncio.to_thread(
        runner.invoke, cli, ["disable-account", "--email", "no@example.com"], env=env
    )
    assert unknown.exit_code != 0
    assert "NOT_FOUND" in unknown.output


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
