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
        ("SAGOPALGO_TOSS_SECRET_KEY", "sk_without_mode"),
        ("SAGOPALGO_TOSS_CLIENT_KEY", "test_ck with spaces"),
        ("SAGOPALGO_PAYMENT_RECONCILE_SECONDS", "-1"),
        ("SAGOPALGO_KEEP_ALIVE_SECONDS", "0"),
    ],
)
def test_malformed_values_stop_start_up_naming_the_variable(var: str, value: str) -> None:
    with pytest.raises(SettingsError, match=var):
        load_settings({var: value})


def test_missing_required_setting_is_named() -> None:
    with pytest.raises(SettingsError, match="SAGOPALGO_JWT_SECRET"):
        Settings().require("jwt_secret")


def test_toss_keys_come_in_a_matching_pair_and_the_secret_never_shows() -> None:
    settings = load_settings(
        {
            "SAGOPALGO_TOSS_SECRET_KEY": "test_sk_0123456789abcdef",
            "SAGOPALGO_TOSS_CLIENT_KEY": "test_ck_0123456789abcdef",
            "SAGOPALGO_JWT_SECRET": "j" * 40,
        }
    )
    assert settings.toss_base_url == "https://api.tosspayments.com"
    assert "test_sk_0123456789abcdef" not in repr(settings)
    assert "j" * 40 not in repr(settings)
    assert "test_ck_0123456789abcdef" in repr(settings)  # the client key is public
    assert "toss_secret_key='********'" in repr(settings)
    with pytest.raises(SettingsError, match="SAGOPALGO_TOSS_CLIENT_KEY"):
        load_settings({"SAGOPALGO_TOSS_SECRET_KEY": "test_sk_0123456789abcdef"})
    with pytest.raises(SettingsError, match="both test or both live"):
        load_settings(
            {
                "SAGOPALGO_TOSS_SECRET_KEY": "live_sk_0123456789",
                "SAGOPALGO_TOSS_CLIENT_KEY": "test_ck_0123456789",
            }
        )
    with pytest.raises(SettingsError, match="SAGOPALGO_TOSS_BASE_URL"):
        load_settings(
            {
                "SAGOPALGO_TOSS_SECRET_KEY": "live_sk_0123456789",
                "SAGOPALGO_TOSS_CLIENT_KEY": "live_ck_0123456789",
                "SAGOPALGO_TOSS_BASE_URL": "http://127.0.0.1:9",
            }
        )


def test_passwords_in_connection_urls_never_show() -> None:
    settings = load_settings(
        {
            "SAGOPALGO_DATABASE_URL": "mysql+asyncmy://app:s3cret-pw@db.internal:3306/sagopalgo",
            "SAGOPALGO_REDIS_URL": "rediss://:redis-pw@cache.internal:6379/0",
        }
    )
    shown = repr(settings)
    assert "s3cret-pw" not in shown
    assert "redis-pw" not in shown
    assert "mysql+asyncmy://app:********@db.internal:3306/sagopalgo" in shown
    assert "rediss://:********@cache.internal:6379/0" in shown
    assert settings.database_url.endswith(
        "app:s3cret-pw@db.internal:3306/sagopalgo"
    )  # only the repr hides it


def test_the_search_engine_follows_the_setting_or_the_one_url_set() -> None:
    assert load_settings({}).search_engine == "sql"
    es = {"SAGOPALGO_ELASTICSEARCH_URL": "http://127.0.0.1:9200"}
    opensearch = {"SAGOPALGO_OPENSEARCH_URL": "https://sagopalgo:pw@search.internal:443"}
    assert load_settings(es).search_engine == "elasticsearch"
    assert load_settings(opensearch).search_engine == "opensearch"
    assert load_settings({**opensearch, "SAGOPALGO_SEARCH": "opensearch"}).search_engine == "opensearch"
    assert load_settings({**opensearch, "SAGOPALGO_SEARCH": "sql"}).search_engine == "sql"
    assert load_settings({**es, **opensearch, "SAGOPALGO_SEARCH": "opensearch"}).search_engine == "opensearch"
    with pytest.raises(SettingsError, match="SAGOPALGO_SEARCH=opensearch needs SAGOPALGO_OPENSEARCH_URL"):
        load_settings({**es, "SAGOPALGO_SEARCH": "opensearch"})
    with pytest.raises(SettingsError, match="choose one with SAGOPALGO_SEARCH"):
        load_settings({**es, **opensearch})


def test_the_opensearch_password_never_shows() -> None:
    settings = load_settings(
        {"SAGOPALGO_OPENSEARCH_URL": "https://sagopalgo:Os-s3cret_1@search.internal:443"}
    )
    assert "Os-s3cret_1" not in repr(settings)
    assert "https://sagopalgo:********@search.internal:443" in repr(settings)
