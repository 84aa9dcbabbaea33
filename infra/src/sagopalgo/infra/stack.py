"""The whole deployment for one stack: ``build(config)`` creates every resource, nothing at import.

Reading order follows a request: network and firewall, credentials, the data stores, the images
bucket and CDN, the edge, the two Fargate services, then the auction day's scheduler. The services'
settings are assembled here, the one place that knows every endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.app_settings import API_PORT, SSE_PORT, Env
from sagopalgo.infra.components.cache import Cache, CacheArgs
from sagopalgo.infra.components.credentials import Credentials, CredentialsArgs, SecretRef, store_secret
from sagopalgo.infra.components.database import Database, DatabaseArgs
from sagopalgo.infra.components.edge import IDLE_TIMEOUT_SECONDS, Edge, EdgeArgs
from sagopalgo.infra.components.firewall import Firewall, FirewallArgs
from sagopalgo.infra.components.images import IMAGE_PREFIX, Images, ImagesArgs
from sagopalgo.infra.components.network import Network, NetworkArgs
from sagopalgo.infra.components.registry import Registry, RegistryArgs
from sagopalgo.infra.components.scaling import scale_services
from sagopalgo.infra.components.scheduler import Scheduler, SchedulerArgs
from sagopalgo.infra.components.search import SEARCH_USER, Search, SearchArgs
from sagopalgo.infra.components.service import FargateService, FargateServiceArgs, LogShipping
from sagopalgo.infra.config import StackConfig
from sagopalgo.infra.iam import statement
from sagopalgo.infra.schedule import day_runs
from sagopalgo.infra.tagging import Tagger

__all__ = ["KEEP_ALIVE_SECONDS", "StackOutputs", "build"]

KEEP_ALIVE_SECONDS = IDLE_TIMEOUT_SECONDS + 5
"""The services outlast the ALB's idle timeout, so the ALB never reuses a connection they close."""


@dataclass(frozen=True)
class StackOutputs:
    url: str
    images_url: str
    api_repository: pulumi.Output[str]
    cluster: pulumi.Output[str]
    api_task_family: str
    private_subnet_ids: list[pulumi.Output[str]]
    api_security_group: pulumi.Output[str]
    scheduler_function: pulumi.Output[str]
    dead_letters: pulumi.Output[str]
    search_endpoint: pulumi.Output[str]
    dashboards_url: pulumi.Output[str]
    database_address: pulumi.Output[str]
    images_bucket: pulumi.Output[str]

    def export(self) -> None:
        for key, value in vars(self).items():
            pulumi.export("".join(w.capitalize() if i else w for i, w in enumerate(key.split("_"))), value)


def build(cfg: StackConfig) -> StackOutputs:
    tags = Tagger("sagopalgo", cfg.stack)
    network = Network(
        "network",
        NetworkArgs(cidr=cfg.vpc_cidr, zones=cfg.availability_zones, nat_per_zone=cfg.production, tags=tags),
    )
    firewall = Firewall("firewall", FirewallArgs(vpc_id=network.vpc.id, tags=tags))
    sg = {name: group.id for name, group in firewall.groups.items()}
    private = network.private_subnet_ids
    credentials = Credentials("credentials", CredentialsArgs(tags=tags))

    database = Database(
        "database",
        DatabaseArgs(
            size=cfg.database,
            subnet_ids=private,
            security_group_id=sg["database"],
            password=credentials.database_password,
            production=cfg.production,
            tags=tags,
        ),
    )
    cache = Cache(
        "redis",
        CacheArgs(
            size=cfg.redis,
            subnet_ids=private,
            security_group_id=sg["redis"],
            auth_token=credentials.redis_token,
            production=cfg.production,
            tags=tags,
        ),
    )
    search = Search(
        "search",
        SearchArgs(
            domain_name=cfg.name[:28],
            size=cfg.search,
            subnet_ids=private,
            security_group_id=sg["search"],
            password=credentials.search_password,
            tags=tags,
        ),
    )

    def secret(name: str, value: pulumi.Input[str]) -> SecretRef:
        return store_secret(
            name, value, prefix=cfg.name, tags=tags, parent=credentials, production=cfg.production
        ).ref()

    search_secret = store_secret(
        "search",
        pulumi.Output.json_dumps(
            {
                "url": cfg.elasticsearch_url if cfg.elasticsearch_url is not None else search.url,
                "username": SEARCH_USER,
                "password": credentials.search_password,
            }
        ),
        prefix=cfg.name,
        tags=tags,
        parent=credentials,
        production=cfg.production,
    )
    secrets: dict[str, SecretRef] = {
        Env.DATABASE_URL: secret("database-url", database.url),
        Env.REDIS_URL: secret("redis-url", cache.url),
        Env.JWT_SECRET: secret("jwt-secret", credentials.jwt_secret),
    }
    # The lot index lives on the stack's OpenSearch domain, through the OpenSearch adapter, unless
    # an Elasticsearch cluster is configured for it (the Elasticsearch client refuses OpenSearch,
    # so the engine chooses the setting that carries the URL and the adapter that reads it).
    engine, url_setting = (
        ("opensearch", Env.OPENSEARCH_URL)
        if cfg.elasticsearch_url is None
        else ("elasticsearch", Env.ELASTICSEARCH_URL)
    )
    secrets[url_setting] = search_secret.ref("url")
    if cfg.toss_secret_key is not None:
        secrets[Env.TOSS_SECRET_KEY] = secret("toss-secret-key", cfg.toss_secret_key)

    images = Images(
        "images",
        ImagesArgs(
            domain=cfg.images_domain,
            hosted_zone_id=cfg.hosted_zone_id,
            web_origins=cfg.web_origins,
            production=cfg.production,
            tags=tags,
        ),
    )
    edge = Edge(
        "alb",
        EdgeArgs(
            domain=cfg.domain,
            hosted_zone_id=cfg.hosted_zone_id,
            vpc_id=network.vpc.id,
            subnet_ids=network.public_subnet_ids,
            security_group_id=sg["alb"],
            production=cfg.production,
            tags=tags,
        ),
    )
    registry = Registry("registry", RegistryArgs(context_dir=cfg.context_dir, tag=cfg.stack, tags=tags))
    cluster = aws.ecs.Cluster(
        "cluster",
        settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
        tags=tags("cluster"),
    )

    shared = _shared_environment(cfg, images.bucket.bucket, images.base_url)
    logs = LogShipping(
        host=search.endpoint,
        user=SEARCH_USER,
        password=search_secret.ref("password"),
        region=cfg.region,
        retention_days=cfg.log_retention_days,
    )
    service_env = {
        Env.HOST: "0.0.0.0",  # noqa: S104 - inside the task; only the ALB's group may connect
        Env.FORWARDED_ALLOW_IPS: cfg.vpc_cidr,
        Env.KEEP_ALIVE_SECONDS: str(KEEP_ALIVE_SECONDS),
        Env.SCHEDULE: "off",  # EventBridge Scheduler runs the day, once, not every task
    }
    # The API and the Lambda change lots, and whoever changes a lot re-indexes it: both search the
    # same index. The SSE service searches nothing.
    searching: dict[str, pulumi.Input[str]] = {
        Env.SEARCH: engine,
        Env.ELASTICSEARCH_ANALYZER: cfg.search.analyzer,
    }
    # Toss's keys go together (the settings refuse one without the other): to the API and the
    # Lambda, which hold the secret key, and not to the SSE service.
    paying: dict[str, pulumi.Input[str]] = (
        {Env.TOSS_CLIENT_KEY: cfg.toss_client_key} if cfg.toss_client_key is not None else {}
    )
    api = FargateService(
        "api",
        FargateServiceArgs(
            service="api",
            family=f"{cfg.name}-api",
            cluster_arn=cluster.arn,
            cluster_name=cluster.name,
            image=registry.images["api"],
            repository_arn=registry.repositories["api"].arn,
            port=API_PORT,
            size=cfg.api,
            environment={**shared, **service_env, **searching, **paying, Env.PORT: str(API_PORT)},
            secrets=secrets,
            subnet_ids=private,
            security_group_id=sg["api"],
            target_group_arn=edge.api_targets.arn,
            logs=logs,
            tags=tags,
            task_statements=[
                # DeleteObject: the API deletes photos no lot uses (the catalog's upload sweep).
                statement(
                    "PhotosUnderTheirPrefix",
                    ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                    [images.bucket.arn.apply(lambda arn: f"{arn}/{IMAGE_PREFIX}*")],
                ),
                # Without ListBucket a missing object reads as 403 instead of 404.
                statement("ListPhotos", ["s3:ListBucket"], [images.bucket.arn]),
            ],
        ),
        opts=pulumi.ResourceOptions(depends_on=[edge.https]),
    )
    sse = FargateService(
        "sse",
        FargateServiceArgs(
            service="sse",
            family=f"{cfg.name}-sse",
            cluster_arn=cluster.arn,
            cluster_name=cluster.name,
            image=registry.images["sse"],
            repository_arn=registry.repositories["sse"].arn,
            port=SSE_PORT,
            size=cfg.sse,
            environment={**shared, **service_env, Env.SSE_PORT: str(SSE_PORT)},
            secrets={k: secrets[k] for k in (Env.DATABASE_URL, Env.REDIS_URL)},
            subnet_ids=private,
            security_group_id=sg["sse"],
            target_group_arn=edge.sse_targets.arn,
            logs=logs,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(depends_on=[edge.https]),
    )
    scale_services(cfg, api=api, sse=sse, edge=edge)

    lambda_secrets = {k: v for k, v in secrets.items() if k != Env.JWT_SECRET}  # it signs no token
    scheduler = Scheduler(
        "scheduler",
        SchedulerArgs(
            name=f"{cfg.name}-scheduler",
            image=registry.images["scheduler"],
            repository_arn=registry.repositories["scheduler"].arn,
            runs=day_runs(cfg.auction.opens, cfg.auction.closes, cfg.auction.hard_cap),
            environment={**shared, **searching, **paying},
            secrets=lambda_secrets,
            subnet_ids=private,
            security_group_id=sg["scheduler"],
            retention_days=cfg.log_retention_days,
            tags=tags,
        ),
    )
    return StackOutputs(
        url=cfg.public_url,
        images_url=images.base_url,
        api_repository=registry.repositories["api"].repository_url,
        cluster=cluster.name,
        api_task_family=f"{cfg.name}-api",
        private_subnet_ids=private,
        api_security_group=sg["api"],
        scheduler_function=scheduler.function.name,
        dead_letters=scheduler.dead_letters.url,
        search_endpoint=search.endpoint,
        dashboards_url=search.endpoint.apply(lambda host: f"https://{host}/_dashboards"),
        database_address=database.instance.address,
        images_bucket=images.bucket.bucket,
    )


def _shared_environment(
    cfg: StackConfig, bucket: pulumi.Output[str], cdn: str
) -> dict[str, pulumi.Input[str]]:
    """Settings every process of the deployment (both services and the Lambda) runs with."""
    env: dict[str, pulumi.Input[str]] = {
        Env.LOG_FORMAT: "json",
        Env.LOG_LEVEL: cfg.log_level,
        Env.AUCTION_OPENS: cfg.auction.opens,
        Env.AUCTION_CLOSES: cfg.auction.closes,
        Env.AUCTION_HARD_CAP: cfg.auction.hard_cap,
        Env.PAYMENT_DEADLINE_HOURS: str(cfg.payment_deadline_hours),
        Env.PUBLIC_BASE_URL: cfg.public_url,
        # The ALB sends /sse/* on the same host to the SSE service: that is where the lot pages open
        # their live streams (and what their CSP allows, and the SSE service's HSTS keys on).
        Env.SSE_PUBLIC_URL: cfg.public_url,
        Env.CDN_BASE_URL: cdn,
        Env.CORS_ORIGINS: ",".join(cfg.web_origins),
        Env.S3_BUCKET: bucket,
        Env.S3_REGION: cfg.region,
    }
    return env
