"""A stack's settings, typed: read once from ``Pulumi.<stack>.yaml`` and handed to ``build``.

``production`` picks the defaults that differ between a rehearsal and the real thing (Multi-AZ,
deletion protection, a NAT gateway per zone, bigger nodes); any of them can still be set per stack.
Tests build a ``StackConfig`` directly, so the program never reads configuration behind their back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import pulumi

_Section = TypeVar("_Section", "ServiceSize", "DatabaseSize", "CacheSize", "SearchSize", "AuctionTimes")

__all__ = [
    "AuctionTimes",
    "CacheSize",
    "DatabaseSize",
    "SearchSize",
    "ServiceSize",
    "StackConfig",
    "load_config",
]


@dataclass(frozen=True)
class ServiceSize:
    """One Fargate service's task size and the bounds autoscaling moves it within."""

    cpu: int
    memory: int
    min_tasks: int
    max_tasks: int


@dataclass(frozen=True)
class DatabaseSize:
    instance_class: str
    storage_gb: int
    max_storage_gb: int
    backup_days: int
    engine_version: str = "8.4"
    """MySQL 8.4 (LTS); RDS leaves ``require_secure_transport`` off and mysql_native_password out."""


@dataclass(frozen=True)
class CacheSize:
    node_type: str
    replicas: int
    """Replicas besides the primary (at least one: automatic failover needs somewhere to fail to)."""
    engine_version: str = "7.1"


@dataclass(frozen=True)
class SearchSize:
    instance_type: str
    instance_count: int
    volume_gb: int
    engine_version: str = "OpenSearch_2.19"
    analyzer: str = "ngram"
    """The lot index's Korean analysis (``SAGOPALGO_ELASTICSEARCH_ANALYZER``): ``ngram``, or ``nori``
    (the domain ships the ``analysis-nori`` plugin). A change takes effect at the next reindex."""

    def __post_init__(self) -> None:
        if self.analyzer not in ("ngram", "nori"):
            raise ValueError("search.analyzer: ngram or nori")


@dataclass(frozen=True)
class AuctionTimes:
    """The daily window in Asia/Seoul, ``HH:MM``: the services' settings and the schedules share it."""

    opens: str = "09:00"
    closes: str = "18:00"
    hard_cap: str = "18:30"


@dataclass(frozen=True)
class StackConfig:
    stack: str
    region: str
    domain: str
    """The public host name: the web pages and the API at ``/``, the live streams at ``/sse/``."""
    hosted_zone_id: str
    """The Route 53 zone that holds ``domain`` (and ``images.<domain>``)."""
    availability_zones: tuple[str, str]
    production: bool
    context_dir: Path
    """The repository root: the Docker build context of every image."""
    vpc_cidr: str = "10.20.0.0/16"
    api: ServiceSize = ServiceSize(cpu=512, memory=1024, min_tasks=1, max_tasks=4)
    sse: ServiceSize = ServiceSize(cpu=256, memory=512, min_tasks=1, max_tasks=4)
    api_cpu_target: int = 60
    """Average CPU (%) autoscaling keeps the API at."""
    api_requests_per_target: int = 3000
    """Requests per task per minute autoscaling keeps the API at."""
    sse_connections_per_task: int = 5000
    """Open streams per SSE task autoscaling keeps it at (the ALB's active connections per task)."""
    database: DatabaseSize = DatabaseSize("db.t4g.small", 20, 100, backup_days=3)
    redis: CacheSize = CacheSize("cache.t4g.small", replicas=1)
    search: SearchSize = SearchSize("t3.medium.search", instance_count=1, volume_gb=20)
    auction: AuctionTimes = AuctionTimes()
    payment_deadline_hours: int = 72
    cors_origins: tuple[str, ...] = ()
    """Browser origins besides ``https://<domain>`` that may call the API and upload images."""
    log_level: str = "INFO"
    log_retention_days: int = 30
    toss_client_key: str | None = None
    toss_secret_key: pulumi.Input[str] | None = field(default=None, repr=False)
    """Set with ``pulumi config set --secret tossSecretKey``; with the client key, or neither."""
    elasticsearch_url: pulumi.Input[str] | None = field(default=None, repr=False)
    """An Elasticsearch cluster for the lot index instead of the stack's OpenSearch domain
    (``pulumi config set --secret elasticsearchUrl https://user:pw@host:443``): the API and the
    Lambda then get ``SAGOPALGO_SEARCH=elasticsearch`` and its URL; logs stay on the domain."""

    def __post_init__(self) -> None:
        if (self.toss_client_key is None) != (self.toss_secret_key is None):
            raise ValueError("set both tossClientKey and tossSecretKey (secret), or neither")
        if len(set(self.availability_zones)) != 2:
            raise ValueError("availabilityZones: two different zones")
        if self.redis.replicas < 1:
            raise ValueError("redis.replicas: at least 1, or automatic failover has nowhere to go")

    @property
    def name(self) -> str:
        """The prefix of physical names that must be fixed (log groups, the Lambda, schedules)."""
        return f"sagopalgo-{self.stack}"

    @property
    def public_url(self) -> str:
        return f"https://{self.domain}"

    @property
    def images_domain(self) -> str:
        return f"images.{self.domain}"

    @property
    def web_origins(self) -> tuple[str, ...]:
        return (self.public_url, *self.cors_origins)

    @classmethod
    def production_defaults(cls, **values: Any) -> StackConfig:
        """The sizes a production stack starts from (each still overridable)."""
        values.setdefault("api", ServiceSize(cpu=1024, memory=2048, min_tasks=2, max_tasks=12))
        values.setdefault("sse", ServiceSize(cpu=512, memory=1024, min_tasks=2, max_tasks=12))
        values.setdefault("database", DatabaseSize("db.m7g.large", 100, 1000, backup_days=14))
        values.setdefault("redis", CacheSize("cache.m7g.large", replicas=1))
        values.setdefault("search", SearchSize("m7g.large.search", instance_count=2, volume_gb=100))
        return cls(production=True, **values)


def _overlay(default: _Section, raw: dict[str, Any] | None) -> _Section:
    """A stack file's camelCase object (``minTasks: 2``) laid over the default of that section."""
    if not raw:
        return default
    return replace(
        default, **{"".join("_" + c.lower() if c.isupper() else c for c in k): v for k, v in raw.items()}
    )


def load_config(project_dir: Path, stack: str | None = None) -> StackConfig:
    """Read the current stack's ``Pulumi.<stack>.yaml`` (``sagopalgo:*`` and ``aws:region``).

    Paths in it (``contextDir``) are relative to ``project_dir``, where ``Pulumi.yaml`` is.
    """
    cfg = pulumi.Config("sagopalgo")
    aws = pulumi.Config("aws")
    production = cfg.get_bool("production") or False
    zones = cfg.require_object("availabilityZones")
    base: dict[str, Any] = dict(
        stack=stack or pulumi.get_stack(),
        region=aws.require("region"),
        domain=cfg.require("domain"),
        hosted_zone_id=cfg.require("hostedZoneId"),
        availability_zones=(zones[0], zones[1]),
        context_dir=(project_dir / (cfg.get("contextDir") or "..")).resolve(),
    )
    defaults = (
        StackConfig.production_defaults(**base) if production else StackConfig(production=False, **base)
    )
    return replace(
        defaults,
        vpc_cidr=cfg.get("vpcCidr") or defaults.vpc_cidr,
        api=_overlay(defaults.api, cfg.get_object("api")),
        sse=_overlay(defaults.sse, cfg.get_object("sse")),
        api_cpu_target=cfg.get_int("apiCpuTarget") or defaults.api_cpu_target,
        api_requests_per_target=cfg.get_int("apiRequestsPerTarget") or defaults.api_requests_per_target,
        sse_connections_per_task=cfg.get_int("sseConnectionsPerTask") or defaults.sse_connections_per_task,
        database=_overlay(defaults.database, cfg.get_object("database")),
        redis=_overlay(defaults.redis, cfg.get_object("redis")),
        search=_overlay(defaults.search, cfg.get_object("search")),
        auction=_overlay(defaults.auction, cfg.get_object("auction")),
        payment_deadline_hours=cfg.get_int("paymentDeadlineHours") or defaults.payment_deadline_hours,
        cors_origins=tuple(cfg.get_object("corsOrigins") or ()),
        log_level=cfg.get("logLevel") or defaults.log_level,
        log_retention_days=cfg.get_int("logRetentionDays") or defaults.log_retention_days,
        toss_client_key=cfg.get("tossClientKey"),
        toss_secret_key=cfg.get_secret("tossSecretKey"),
        elasticsearch_url=cfg.get_secret("elasticsearchUrl"),
    )
