"""ElastiCache Redis: one shard, a primary and replicas across zones, encrypted, failing over by itself.

One shard because the bid gate's Lua script touches keys of several slots (README: a non-cluster
Redis). Encryption in transit means ``rediss://`` and an AUTH token; the gate's keys carry no TTL,
so the default ``volatile-lru`` policy never evicts them (a full Redis refuses writes instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.config import CacheSize
from sagopalgo.infra.tagging import Tagger

__all__ = ["Cache", "CacheArgs"]


@dataclass(frozen=True)
class CacheArgs:
    size: CacheSize
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    auth_token: pulumi.Input[str]
    production: bool
    tags: Tagger


class Cache(pulumi.ComponentResource):
    group: aws.elasticache.ReplicationGroup
    url: pulumi.Output[str]
    """``SAGOPALGO_REDIS_URL``: TLS to the primary endpoint with the AUTH token (so a secret)."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        subnets = aws.elasticache.SubnetGroup(
            name,
            description="sagopalgo redis",
            subnet_ids=list(args.subnet_ids),
            tags=args.tags("redis"),
            opts=child,
        )
        self.group = aws.elasticache.ReplicationGroup(
            name,
            description="sagopalgo: bid gate, bid log, lot events, caches, locks",
            engine="redis",
            engine_version=args.size.engine_version,
            node_type=args.size.node_type,
            cluster_mode="disabled",
            num_cache_clusters=1 + args.size.replicas,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=args.auth_token,
            port=6379,
            subnet_group_name=subnets.name,
            security_group_ids=[args.security_group_id],
            snapshot_retention_limit=7 if args.production else 1,
            snapshot_window="16:00-17:00",
            maintenance_window="sun:19:30-sun:20:30",
            auto_minor_version_upgrade=True,
            apply_immediately=not args.production,
            tags=args.tags("redis"),
            opts=child,
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.all(self.group.primary_endpoint_address, args.auth_token).apply(
                lambda v: f"rediss://:{v[1]}@{v[0]}:6379/0"
            )
        )
        self.register_outputs({"primaryEndpoint": self.group.primary_endpoint_address})
