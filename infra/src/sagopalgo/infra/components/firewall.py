"""Security groups, and every edge between them as one table.

Only the ALB takes traffic from the internet (80 and 443); only the ALB reaches the services; only
the services and the scheduler Lambda reach the database and Redis; only the tasks (the search
adapter and the Fluent Bit sidecars) and the Lambda (its transitions re-index the lots they change)
reach the search domain. The data stores have no way out at
all. The services and the Lambda may open HTTPS to the internet, through NAT: Toss Payments and
the AWS APIs (ECR, Secrets Manager, S3, CloudWatch Logs) live there.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.app_settings import API_PORT, SSE_PORT
from sagopalgo.infra.tagging import Tagger

__all__ = ["EDGES", "GROUPS", "WORLD_EGRESS", "WORLD_INGRESS", "Edge", "Firewall", "FirewallArgs"]

GROUPS = ("alb", "api", "sse", "scheduler", "database", "redis", "search")
MYSQL, REDIS, HTTPS, HTTP = 3306, 6379, 443, 80


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    port: int


EDGES = (
    Edge("alb", "api", API_PORT),
    Edge("alb", "sse", SSE_PORT),
    Edge("api", "database", MYSQL),
    Edge("sse", "database", MYSQL),
    Edge("scheduler", "database", MYSQL),
    Edge("api", "redis", REDIS),
    Edge("sse", "redis", REDIS),
    Edge("scheduler", "redis", REDIS),
    Edge("api", "search", HTTPS),
    Edge("sse", "search", HTTPS),
    Edge("scheduler", "search", HTTPS),
)
WORLD_INGRESS = (("alb", HTTP), ("alb", HTTPS))
WORLD_EGRESS = (("api", HTTPS), ("sse", HTTPS), ("scheduler", HTTPS))
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class FirewallArgs:
    vpc_id: pulumi.Input[str]
    tags: Tagger


class Firewall(pulumi.ComponentResource):
    groups: dict[str, aws.ec2.SecurityGroup]

    def __init__(self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Firewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # No inline rules: the provider then also removes AWS's default allow-all egress, so a
        # group reaches only what an edge below grants it.
        self.groups = {
            group: aws.ec2.SecurityGroup(
                group,
                vpc_id=args.vpc_id,
                description=f"sagopalgo {group}",
                revoke_rules_on_delete=True,
                tags=args.tags(group),
                opts=child,
            )
            for group in GROUPS
        }
        for edge in EDGES:
            label = f"{edge.source}-to-{edge.target}-{edge.port}"
            aws.vpc.SecurityGroupEgressRule(
                label,
                security_group_id=self.groups[edge.source].id,
                referenced_security_group_id=self.groups[edge.target].id,
                ip_protocol="tcp",
                from_port=edge.port,
                to_port=edge.port,
                description=f"{edge.source} -> {edge.target}",
                tags=args.tags(label),
                opts=child,
            )
            aws.vpc.SecurityGroupIngressRule(
                label,
                security_group_id=self.groups[edge.target].id,
                referenced_security_group_id=self.groups[edge.source].id,
                ip_protocol="tcp",
                from_port=edge.port,
                to_port=edge.port,
                description=f"{edge.source} -> {edge.target}",
                tags=args.tags(label),
                opts=child,
            )
        for group, port in WORLD_INGRESS:
            aws.vpc.SecurityGroupIngressRule(
                f"world-to-{group}-{port}",
                security_group_id=self.groups[group].id,
                cidr_ipv4=ANYWHERE,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"internet -> {group}",
                tags=args.tags(f"world-to-{group}-{port}"),
                opts=child,
            )
        for group, port in WORLD_EGRESS:
            aws.vpc.SecurityGroupEgressRule(
                f"{group}-to-world-{port}",
                security_group_id=self.groups[group].id,
                cidr_ipv4=ANYWHERE,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"{group} -> internet (Toss, AWS APIs) through NAT",
                tags=args.tags(f"{group}-to-world-{port}"),
                opts=child,
            )
        self.register_outputs({name: group.id for name, group in self.groups.items()})
