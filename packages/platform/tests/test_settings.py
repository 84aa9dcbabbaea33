import pytest

from sagopalgo.platform.settings import Settings, SettingsError, load_settings


def test_defaults_are_the_embedded_deployment() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite+aiosqlite:")
    assert settings.redis_url is None
    assert settings.bid_gate == "auto"
    assert settings.access_token_ttl_seconds <= 900


def test_values_are_parsed_from_strings() -> None:
    settings = load_settings(
        {
            "SAGOPALGO_PORT": "9000",
            "SAGOPALGO_AUTO_MIGRATE": "true",
            "SAGOPALGO_CORS_ORIGINS": "https://a.kr, https://b.kr",
            "SAGOPALGO_REDIS_URL": "redis://localhost:6379/1",
            "SAGOPALGO_BID_GATE": "sql",
        }
    )
    assert settings.port == 9000
    assert settings.auto_migrate is True
    assert settings.cors_origins == ("https://a.kr", "https://b.kr")
    assert settings.uses_redis
    assert settings.bid_gate == "sql"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("SAGOPALGO_PORT", "eighty"),
        ("SAGOPALGO_PORT", "70000"),
        ("SAGOPALGO_ACCESS_TOKEN_TTL_SECONDS", "3600"),
        ("SAGOPALGO_JWT_SECRET", "short"),
        ("SAGOPALGO_LOG_LEVEL", "LOUD"),
        ("SAGOPALGO_AUTO_MIGRATE", "maybe"),
        ("SAGOPALGO_BID_GATE", "postgres"),
    ],
)
def test_malformed_values_stop_start_up_naming_the_variable(var: str, value: str) -> None:
    with pytest.raises(SettingsError, match=var):
        load_settings({var: value})


def test_missing_required_setting_is_named() -> None:
    with pytest.raises(SettingsError, match="SAGOPALGO_JWT_SECRET"):
        Settings().require("jwt_secret")
