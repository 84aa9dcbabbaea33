"""The Lambda reads its secret settings from Secrets Manager, never from its plain environment."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.settings import SettingsError, load_settings
from sagopalgo.scheduler.handler import make_handler
from sagopalgo.scheduler.secrets import SECRET_ARNS, SecretsManagerFetcher, resolve_secrets

REGION = "ap-northeast-2"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Secrets in a mocked Secrets Manager, by the setting each fills: their references."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        database = client.create_secret(
            Name="database",
            SecretString=json.dumps(
                {"url": "mysql+asyncmy://u:p@db.internal:3306/sagopalgo", "password": "p"}
            ),
        )["ARN"]
        yield {
            "SAGOPALGO_JWT_SECRET": client.create_secret(Name="jwt", SecretString="j" * 40)["ARN"],
            "SAGOPALGO_REDIS_URL": client.create_secret(
                Name="redis", SecretString="rediss://:token@cache.internal:6379/0"
            )["ARN"],
            "SAGOPALGO_DATABASE_URL": f"{database}:url::",  # one key of a JSON secret, as ECS names it
        }


def test_named_secrets_fill_their_settings(secrets: dict[str, str]) -> None:
    env = resolve_secrets(
        {SECRET_ARNS: json.dumps(secrets), "SAGOPALGO_LOG_LEVEL": "WARNING"}, SecretsManagerFetcher()
    )
    assert SECRET_ARNS not in env
    settings = load_settings(env)
    assert settings.jwt_secret == "j" * 40
    assert settings.redis_url == "rediss://:token@cache.internal:6379/0"
    assert settings.database_url == "mysql+asyncmy://u:p@db.internal:3306/sagopalgo"
    assert settings.log_level == "WARNING"


def test_a_json_secret_without_the_named_key_is_refused(secrets: dict[str, str]) -> None:
    missing = secrets["SAGOPALGO_DATABASE_URL"].replace(":url::", ":nope::")
    with pytest.raises(SettingsError, match="nope"):
        SecretsManagerFetcher()(missing)


def test_without_secret_arns_the_environment_is_used_as_it_is() -> None:
    def refuse(arn: str) -> str:
        raise AssertionError(f"fetched {arn}")

    assert resolve_secrets({"SAGOPALGO_PORT": "9000"}, refuse) == {"SAGOPALGO_PORT": "9000"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "JSON object"),
        ('["arn:aws:secretsmanager:ap-northeast-2:1:secret:x"]', "JSON object"),
        ('{"PATH": "arn:aws:secretsmanager:ap-northeast-2:1:secret:x"}', "SAGOPALGO_"),
        ('{"SAGOPALGO_JWT_SECRET": "jwt"}', "ARN"),
    ],
)
def test_a_malformed_mapping_stops_the_run_naming_the_variable(raw: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        resolve_secrets({SECRET_ARNS: raw}, SecretsManagerFetcher())


def test_the_handler_builds_its_settings_from_the_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:jwt-AbCdEf"
    monkeypatch.setenv(SECRET_ARNS, json.dumps({"SAGOPALGO_JWT_SECRET": arn}))
    fetched: list[str] = []

    def fetch(requested: str) -> str:
        fetched.append(requested)
        return "too-short"  # a value only the secret holds: refused, naming the setting

    handler = make_handler(lambda: ManualClock(datetime(2031, 6, 2, tzinfo=UTC)), fetch)
    with pytest.raises(SettingsError, match="SAGOPALGO_JWT_SECRET"):
        handler({"transition": "open"}, None)
    assert fetched == [arn]

    fetched.clear()
    with pytest.raises(Exception, match="transition"):
        handler({"transition": "reopen"}, None)
    assert fetched == [], "a malformed event runs nothing, not even a secret read"
