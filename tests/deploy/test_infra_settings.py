"""The settings infra/ hands the services are settings the services read.

infra/ imports no application code and names each ``SAGOPALGO_*`` variable as a string; this test,
beside the services, holds those strings against ``Settings``, so a renamed setting fails here
instead of being silently ignored in AWS.
"""

import json
from typing import Any

import msgspec

from sagopalgo.infra.app_settings import SECRET_SETTINGS, Env
from sagopalgo.infra.testing import build_stack, config
from sagopalgo.platform.settings import Settings, env_name, load_settings
from sagopalgo.scheduler.secrets import SECRET_ARNS, resolve_secrets

SETTINGS = {env_name(f.name) for f in msgspec.structs.fields(Settings)}


def _names() -> dict[str, str]:
    return {k: v for k, v in vars(Env).items() if not k.startswith("_") and isinstance(v, str)}


def test_every_variable_infra_sets_is_a_setting() -> None:
    names = set(_names().values())
    assert Env.SECRET_ARNS == SECRET_ARNS, "the Lambda's map of secrets has the name its handler reads"
    assert names - SETTINGS == {SECRET_ARNS}


def test_every_setting_that_holds_a_credential_is_handled_as_a_secret() -> None:
    credentials = {
        "SAGOPALGO_DATABASE_URL",
        "SAGOPALGO_REDIS_URL",
        "SAGOPALGO_JWT_SECRET",
        "SAGOPALGO_TOSS_SECRET_KEY",
        "SAGOPALGO_ELASTICSEARCH_URL",
        "SAGOPALGO_OPENSEARCH_URL",
    }
    assert credentials <= SECRET_SETTINGS


def test_the_environment_infra_builds_is_one_the_services_accept() -> None:
    """Each process's environment plus stand-ins for its secrets loads as that process loads it."""
    built = build_stack(
        config("check", toss_client_key="test_ck_0123456789", toss_secret_key="test_sk_0123456789")
    )
    stand_ins = {
        "SAGOPALGO_DATABASE_URL": "mysql+asyncmy://sagopalgo:pw@db.internal:3306/sagopalgo",
        "SAGOPALGO_REDIS_URL": "rediss://:token@redis.internal:6379/0",
        "SAGOPALGO_JWT_SECRET": "j" * 64,
        "SAGOPALGO_TOSS_SECRET_KEY": "test_sk_0123456789",
        "SAGOPALGO_OPENSEARCH_URL": "https://sagopalgo:pw@search.internal:443",
    }
    for service in ("api", "sse"):
        container = built.containers(f"-{service}")[service]
        env: dict[str, Any] = {e["name"]: e["value"] for e in container["environment"]}
        env |= {s["name"]: stand_ins[s["name"]] for s in container["secrets"]}
        settings = load_settings({k: v for k, v in env.items() if k in SETTINGS})
        assert settings.keep_alive_seconds > 120
        assert settings.schedule == "off"
        assert not settings.auto_migrate  # no DDL as a task starts: `migrate` is a one-off task
        assert settings.log_level != "DEBUG"
        assert settings.host == "0.0.0.0"  # noqa: S104 - inside the task
        if service == "api":
            settings.require("jwt_secret")
            assert settings.s3_bucket
            assert settings.toss_secret_key == "test_sk_0123456789"
            assert (settings.search_engine, settings.opensearch_url) == (
                "opensearch",
                "https://sagopalgo:pw@search.internal:443",
            )
        else:
            assert settings.search == "auto"
            assert settings.search_engine == "sql", "the SSE service searches nothing"

    variables = dict(built.one("aws:lambda/function:Function").inputs["environment"]["variables"])
    by_arn = {arn: stand_ins[name] for name, arn in json.loads(variables[SECRET_ARNS]).items()}
    settings = load_settings(resolve_secrets(variables, by_arn.__getitem__))
    assert settings.toss_secret_key == "test_sk_0123456789"
    assert (settings.search_engine, settings.opensearch_url) == (
        "opensearch",
        stand_ins["SAGOPALGO_OPENSEARCH_URL"],
    )
    assert settings.database_url == stand_ins["SAGOPALGO_DATABASE_URL"]


def test_with_an_elasticsearch_cluster_configured_the_api_loads_the_elasticsearch_index() -> None:
    built = build_stack(config("es", elasticsearch_url="https://elastic:pw@lots.es.example:443"))
    container = built.containers("-api")["api"]
    env: dict[str, Any] = {e["name"]: e["value"] for e in container["environment"]}
    env |= {
        s["name"]: "https://elastic:pw@lots.es.example:443"
        for s in container["secrets"]
        if s["name"].endswith("SEARCH_URL")
    }
    settings = load_settings({k: v for k, v in env.items() if k in SETTINGS})
    assert (settings.search_engine, settings.elasticsearch_url) == (
        "elasticsearch",
        "https://elastic:pw@lots.es.example:443",
    )
    assert settings.opensearch_url is None
