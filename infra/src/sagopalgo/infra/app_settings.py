"""The ``SAGOPALGO_*`` variables the deployment sets, and which of them are secrets.

Names only, as strings: infra imports no application code. A test beside the services
(``tests/deploy``) checks every name here against the services' ``Settings``.
"""

from __future__ import annotations

__all__ = [
    "API_PORT",
    "SECRET_SETTINGS",
    "SSE_PORT",
    "Env",
]

API_PORT = 8000
SSE_PORT = 8001


class Env:
    """Setting variables by role (``sagopalgo.platform.settings.Settings`` has their meaning)."""

    DATABASE_URL = "SAGOPALGO_DATABASE_URL"
    REDIS_URL = "SAGOPALGO_REDIS_URL"
    JWT_SECRET = "SAGOPALGO_JWT_SECRET"
    TOSS_SECRET_KEY = "SAGOPALGO_TOSS_SECRET_KEY"
    TOSS_CLIENT_KEY = "SAGOPALGO_TOSS_CLIENT_KEY"
    SEARCH = "SAGOPALGO_SEARCH"
    ELASTICSEARCH_URL = "SAGOPALGO_ELASTICSEARCH_URL"
    OPENSEARCH_URL = "SAGOPALGO_OPENSEARCH_URL"
    ELASTICSEARCH_ANALYZER = "SAGOPALGO_ELASTICSEARCH_ANALYZER"
    HOST = "SAGOPALGO_HOST"
    PORT = "SAGOPALGO_PORT"
    SSE_PORT = "SAGOPALGO_SSE_PORT"
    FORWARDED_ALLOW_IPS = "SAGOPALGO_FORWARDED_ALLOW_IPS"
    KEEP_ALIVE_SECONDS = "SAGOPALGO_KEEP_ALIVE_SECONDS"
    LOG_LEVEL = "SAGOPALGO_LOG_LEVEL"
    LOG_FORMAT = "SAGOPALGO_LOG_FORMAT"
    SCHEDULE = "SAGOPALGO_SCHEDULE"
    AUCTION_OPENS = "SAGOPALGO_AUCTION_OPENS"
    AUCTION_CLOSES = "SAGOPALGO_AUCTION_CLOSES"
    AUCTION_HARD_CAP = "SAGOPALGO_AUCTION_HARD_CAP"
    PAYMENT_DEADLINE_HOURS = "SAGOPALGO_PAYMENT_DEADLINE_HOURS"
    PUBLIC_BASE_URL = "SAGOPALGO_PUBLIC_BASE_URL"
    SSE_PUBLIC_URL = "SAGOPALGO_SSE_PUBLIC_URL"
    CDN_BASE_URL = "SAGOPALGO_CDN_BASE_URL"
    CORS_ORIGINS = "SAGOPALGO_CORS_ORIGINS"
    S3_BUCKET = "SAGOPALGO_S3_BUCKET"
    S3_REGION = "SAGOPALGO_S3_REGION"
    SECRET_ARNS = "SAGOPALGO_SECRET_ARNS"
    """Not a setting: the Lambda's map of secret settings to ARNs (``sagopalgo.scheduler.secrets``)."""


SECRET_SETTINGS = frozenset(
    {
        Env.DATABASE_URL,
        Env.REDIS_URL,
        Env.JWT_SECRET,
        Env.TOSS_SECRET_KEY,
        Env.ELASTICSEARCH_URL,
        Env.OPENSEARCH_URL,
    }
)
"""Settings that carry a credential: only ever ECS secrets (or, for the Lambda, ``SECRET_ARNS``)."""
