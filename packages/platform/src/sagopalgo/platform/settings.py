"""Typed settings read from ``SAGOPALGO_*`` environment variables, validated at start-up.

One struct for the whole deployment keeps the README's table and the code in one place; each
service checks the settings it cannot run without (``Settings.require``). A missing or malformed
value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

import msgspec

from sagopalgo.kernel.money import DEFAULT_MAX_KRW

__all__ = ["PREFIX", "Settings", "SettingsError", "env_name", "load_settings"]

PREFIX = "SAGOPALGO_"

Positive = Annotated[int, msgspec.Meta(ge=1)]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""A time of day in Asia/Seoul, ``HH:MM``."""


ElasticIndexName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,200}$")]
"""An Elasticsearch index or alias name: lower case, no spaces or ``*?"<>|,#:/\\``."""

TossKey = Annotated[str, msgspec.Meta(pattern=r"^(test|live)_[A-Za-z0-9_]{4,200}$")]
"""A Toss API key: ``test_…`` or ``live_…``, then letters, digits and underscores."""

_SECRETS = frozenset({"jwt_secret", "toss_secret_key"})
"""Fields that ``repr`` (and so any log line or traceback showing the settings) never shows."""


def _without_password(url: str) -> str:
    """``scheme://user:********@host/...``: a database or Redis URL may carry its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:********@{host}"))


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """Every knob of a deployment, with the embedded defaults of the one-command run."""

    database_url: str = "sqlite+aiosqlite:///./var/sagopalgo.db"
    """SQLAlchemy async URL: ``sqlite+aiosqlite:///path`` or ``mysql+asyncmy://user:pw@host:3306/db``."""
    database_pool_size: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    database_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    """How long to wait for a TCP connection to the database, or for a pooled connection."""
    database_read_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=600)] = 10.0
    """How long a query (or a new connection's greeting) may wait for the database's answer.

    Past it the connection is dropped and the request answers 503: a database that hangs (a
    frozen server, a half-open connection after a failover) never holds a request for ever. Far
    above any query the services make (they read and write a few rows at a time); migrations, run
    by ``sagopalgo migrate``, have no such limit.
    """
    redis_url: str | None = None
    """``redis://host:6379/0``; unset means in-process stores (embedded default)."""
    redis_prefix: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "sagopalgo:"
    redis_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 2.0
    jwt_secret: Annotated[str, msgspec.Meta(min_length=32)] | None = None
    """HMAC key for access tokens (at least 32 characters); required by ``serve api``."""
    access_token_ttl_seconds: Annotated[int, msgspec.Meta(ge=30, le=900)] = 900
    refresh_token_ttl_seconds: Annotated[int, msgspec.Meta(ge=300, le=90 * 24 * 3600)] = 14 * 24 * 3600
    auth_cache_seconds: Annotated[int, msgspec.Meta(ge=0, le=30)] = 5
    """How long a process trusts its last check of a token's session (0: check on every request).

    5 s: a bidding spike re-checks each active session at most once per 5 s instead of per request
    (that check was the costliest part of a bid once tokens were cached), and a sign-out elsewhere
    still ends access within seconds rather than at the token's 15-minute expiry.
    """
    auth_rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 10
    bid_rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] = 60
    """Bids (and maximum-bid changes) per user per minute, across all API processes (0: no limit).

    60 is one a second for a whole minute: a person clicking never gets near it (the house bids for
    a maximum without any request), while a script hammering the gate is stopped within a second.
    """
    sse_rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] = 300
    """New event-stream connections per client address per minute, across SSE processes (0: no limit).

    Generous because many people may share one address (mobile carriers' NAT, an office) and a
    browser reconnects on its own after every drop; it stops reconnect loops and connection floods.
    """
    sse_streams_per_client: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 100
    """Event streams one client address may hold open at once on one SSE process (0: no limit)."""
    max_request_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    max_request_head_bytes: Annotated[int, msgspec.Meta(ge=4096, le=1024 * 1024)] = 16 * 1024
    """The request line and header lines together; a longer head is answered 431 by ``serve``."""
    max_request_headers: Annotated[int, msgspec.Meta(ge=16, le=1000)] = 100
    """Header lines per request; more are answered 431 by ``serve``."""
    max_krw: Annotated[int, msgspec.Meta(ge=1000, le=2**53 - 1)] = DEFAULT_MAX_KRW
    """Upper bound of any amount; at most 2^53 - 1 so the Redis bid gate's Lua numbers stay exact."""
    cors_origins: tuple[str, ...] = ()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8000
    sse_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8001
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For is trusted for the client address (rate limits key on it)."""
    keep_alive_seconds: Annotated[int, msgspec.Meta(ge=1, le=4000)] = 5
    """How long ``serve`` keeps an idle client connection open (uvicorn's default is 5 s).

    Behind a load balancer that reuses its connections to the targets, this must outlast the
    balancer's own idle timeout: a target that closes first races the balancer's next request on
    that connection, and the client gets a 502 (AWS's ALB guidance; infra/ sets it above the ALB's).
    """
    auto_migrate: bool = False
    """Run database migrations at start-up (the demo does; production runs ``sagopalgo migrate``)."""
    worker_id: str = ""
    """Free-form name of this process in logs; defaults to host:pid."""
    auction_opens: ClockTime = "09:00"
    """When every day's bidding opens, Asia/Seoul."""
    auction_closes: ClockTime = "18:00"
    """When every day's bidding closes, Asia/Seoul (extended bidding may run later)."""
    auction_hard_cap: ClockTime = "18:30"
    """No lot closes later than this, however long extended bidding runs."""
    public_base_url: str | None = None
    """How clients reach this API (``https://api.example.com``); defaults to ``http://host:port``."""
    sse_public_url: str | None = None
    """How browsers reach the SSE service (``https://live.example.com``); defaults to ``http://host:sse_port``.

    The web pages open their live price stream there (and their Content-Security-Policy allows it).
    """
    cdn_base_url: str | None = None
    """Base of image URLs (CloudFront in production); defaults to the API's own ``/media``."""
    media_dir: str = "./var/media"
    """Where the embedded default keeps uploaded images when no S3 bucket is set."""
    s3_bucket: str | None = None
    """Bucket for lot images; set it to store them in S3 instead of ``media_dir``."""
    s3_endpoint_url: str | None = None
    """Override of the S3 endpoint (a local S3-compatible server); unset in AWS."""
    s3_region: str = "ap-northeast-2"
    image_max_bytes: Annotated[int, msgspec.Meta(ge=1024, le=10 * 1024 * 1024)] = 10 * 1024 * 1024
    upload_ttl_seconds: Annotated[int, msgspec.Meta(ge=60, le=3600)] = 600
    """How long a presigned upload stays usable."""
    upload_sweep_seconds: Annotated[float, msgspec.Meta(ge=0, le=86_400)] = 3600.0
    """How often each API process deletes photos no lot uses a day after their upload expired (0: never)."""
    extension_minutes: Annotated[int, msgspec.Meta(ge=1, le=30)] = 3
    """Soft close: a bid in a lot's last N minutes moves its close to N minutes after the bid."""
    bid_gate: Literal["auto", "redis", "memory", "sql"] = "auto"
    """Which bid gate the API runs. ``auto``: Redis when ``redis_url`` is set, else in process.
    ``sql`` serialises each lot on its database row (MariaDB/MySQL only): the benchmark's baseline."""
    bid_writer_claim_ms: Annotated[int, msgspec.Meta(ge=100, le=600_000)] = 30_000
    """A bid-log entry read by a writer that then stayed silent this long is taken over by another."""
    lot_cache_ttl_seconds: Annotated[int, msgspec.Meta(ge=0, le=60)] = 5
    """How stale a lot's detail may be (0 turns the read cache off)."""
    payment_deadline_hours: Annotated[int, msgspec.Meta(ge=1, le=30 * 24)] = 72
    """How long a winner has to pay after the close; then the award expires and the lot may be relisted."""
    schedule: Literal["inprocess", "off"] = "inprocess"
    """``inprocess``: each API process runs the day's transitions when due (under a shared lock) and
    catches up at start. ``off``: something else runs them (EventBridge Scheduler → Lambda in AWS)."""
    schedule_tick_seconds: Annotated[float, msgspec.Meta(ge=0.05, le=300)] = 15.0
    """How often the in-process schedule looks for due transitions (a close is at most this late)."""
    toss_secret_key: TossKey | None = None
    """Toss Payments secret key (``test_sk_…``/``live_sk_…``, or the widget family's ``…_gsk_…``).

    Sent only to Toss, as Basic auth; never logged, and hidden from this struct's ``repr``. Unset:
    the payment endpoints answer 503 (every other part of the marketplace runs).
    """
    toss_client_key: TossKey | None = None
    """The client key of the same family, handed to the browser for Toss's checkout."""
    toss_base_url: str = "https://api.tosspayments.com"
    """Toss's API; the demo points it at its local fake Toss (a live key is only sent over HTTPS)."""
    payment_reconcile_seconds: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 30.0
    """How often each API process settles orders left in ``CONFIRMING`` (0 turns the loop off)."""
    search: Literal["auto", "sql", "elasticsearch", "opensearch"] = "auto"
    """Which lot index: ``sql`` — the deployment's own database (FTS5 on SQLite, an n-gram table on
    MariaDB); ``elasticsearch`` — the Elasticsearch cluster at ``elasticsearch_url``;
    ``opensearch`` — the OpenSearch cluster (Amazon OpenSearch Service) at ``opensearch_url``;
    ``auto`` — whichever of the two URLs is set, else ``sql``. Each engine needs its own official
    client (Elasticsearch's refuses OpenSearch), hence one URL setting per engine; the index,
    analyzer and timeout settings below apply to both."""
    elasticsearch_url: str | None = None
    """``http://host:9200`` (Elasticsearch 9.x); credentials may go in the URL."""
    opensearch_url: str | None = None
    """``https://user:password@host:443`` (OpenSearch 2.x, e.g. an Amazon OpenSearch Service domain
    with fine-grained access control); the credentials become basic auth."""
    elasticsearch_index: ElasticIndexName = "sagopalgo-lots"
    """The alias searches and writes use (on Elasticsearch or OpenSearch); the indices behind it are
    named after it."""
    elasticsearch_analyzer: Literal["ngram", "nori"] = "ngram"
    """Korean analysis: ``ngram`` (syllable bigrams, no plugin needed) or ``nori`` (the
    ``analysis-nori`` plugin on every node — Amazon OpenSearch Service ships it — bigrams kept
    beside it). A change takes effect with ``sagopalgo reindex``."""
    elasticsearch_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0

    def __post_init__(self) -> None:
        if not self.auction_opens < self.auction_closes <= self.auction_hard_cap:
            raise ValueError("the auction must open before it closes, and close no later than its hard cap")

    def check(self) -> None:
        """Rules across settings that ``load_settings`` applies once every value is read."""
        secret, client = self.toss_secret_key, self.toss_client_key
        if (secret is None) != (client is None):
            raise SettingsError(
                "set both SAGOPALGO_TOSS_SECRET_KEY and SAGOPALGO_TOSS_CLIENT_KEY, or neither"
            )
        if secret is not None and client is not None:
            if secret.startswith("live_") != client.startswith("live_"):
                raise SettingsError(
                    "SAGOPALGO_TOSS_SECRET_KEY and SAGOPALGO_TOSS_CLIENT_KEY: both test or both live keys"
                )
            if secret.startswith("live_") and not self.toss_base_url.startswith("https://"):
                raise SettingsError("SAGOPALGO_TOSS_BASE_URL must be https:// for a live Toss secret key")
        if self.search == "elasticsearch" and not self.elasticsearch_url:
            raise SettingsError("SAGOPALGO_SEARCH=elasticsearch needs SAGOPALGO_ELASTICSEARCH_URL")
        if self.search == "opensearch" and not self.opensearch_url:
            raise SettingsError("SAGOPALGO_SEARCH=opensearch needs SAGOPALGO_OPENSEARCH_URL")
        if self.search == "auto" and self.elasticsearch_url and self.opensearch_url:
            raise SettingsError(
                "both SAGOPALGO_ELASTICSEARCH_URL and SAGOPALGO_OPENSEARCH_URL are set: "
                "choose one with SAGOPALGO_SEARCH"
            )

    @property
    def search_engine(self) -> Literal["sql", "elasticsearch", "opensearch"]:
        """The lot index ``search`` selects once ``auto`` is resolved (``check`` ruled out ambiguity)."""
        if self.search != "auto":
            return self.search
        if self.elasticsearch_url:
            return "elasticsearch"
        return "opensearch" if self.opensearch_url else "sql"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        def shown(name: str) -> Any:
            value = getattr(self, name)
            if name in _SECRETS and value:
                return "********"
            if name.endswith("_url") and isinstance(value, str):
                return _without_password(value)
            return value

        return [(name, shown(name)) for name in self.__struct_fields__]

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{name}={value!r}' for name, value in self.__rich_repr__())})"

    @property
    def api_base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def sse_base_url(self) -> str:
        return (self.sse_public_url or f"http://{self.host}:{self.sse_port}").rstrip("/")

    @property
    def image_base_url(self) -> str:
        return (self.cdn_base_url or f"{self.api_base_url}/media").rstrip("/")

    def require(self, *names: str) -> None:
        """Fail start-up unless every named setting has a value."""
        missing = [env_name(n) for n in names if getattr(self, n) in (None, "")]
        if missing:
            raise SettingsError(f"missing required setting(s): {', '.join(missing)}")

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def _is_tuple(tp: Any) -> bool:
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return get_origin(tp) is tuple


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment (plus explicit overrides), naming any bad variable."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for field in msgspec.structs.fields(Settings):
        name = env_name(field.name)
        if name in env:
            value: Any = env[name]
            if _is_tuple(field.type):
                value = tuple(v.strip() for v in value.split(",") if v.strip())
            elif value == "" and field.default is None:
                value = None
            raw[field.name] = value
    raw.update(overrides)
    for key, value in raw.items():
        try:
            msgspec.convert({key: value}, Settings, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"{env_name(key)} is invalid: {exc}") from None
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:  # pragma: no cover - every field was checked above
        raise SettingsError(str(exc)) from None
    settings.check()
    return settings
