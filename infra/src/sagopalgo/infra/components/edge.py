"""The public edge: DNS, the certificate, and the ALB that routes ``/sse/*`` to the SSE service.

HTTP only redirects to HTTPS; TLS ends here (TLS 1.2+). ``/sse/*`` goes to the SSE service and
everything else to the API, both checked on ``/health/ready``. The idle timeout is the ALB's own
(one per balancer): long enough that a stream between two heartbeats (15 s) is never idle for it,
and the services keep idle connections open longer still (``KEEP_ALIVE_SECONDS``), so the balancer
is always the side that closes one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.app_settings import API_PORT, SSE_PORT
from sagopalgo.infra.components.certificates import validated_certificate
from sagopalgo.infra.tagging import Tagger

__all__ = ["HEALTH_PATH", "IDLE_TIMEOUT_SECONDS", "SSE_PATHS", "TLS_POLICY", "Edge", "EdgeArgs"]

HEALTH_PATH = "/health/ready"
SSE_PATHS = ["/sse/*"]
IDLE_TIMEOUT_SECONDS = 120
"""Eight SSE heartbeats (``sagopalgo.sse.streams.HEARTBEAT_SECONDS`` = 15)."""
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class EdgeArgs:
    domain: str
    hosted_zone_id: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    production: bool
    tags: Tagger


class Edge(pulumi.ComponentResource):
    balancer: aws.lb.LoadBalancer
    api_targets: aws.lb.TargetGroup
    sse_targets: aws.lb.TargetGroup
    https: aws.lb.Listener

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Edge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        certificate = validated_certificate(
            "site", args.domain, zone_id=args.hosted_zone_id, tags=tags, parent=self
        )
        self.balancer = aws.lb.LoadBalancer(
            name,
            load_balancer_type="application",
            internal=False,
            subnets=list(args.subnet_ids),
            security_groups=[args.security_group_id],
            idle_timeout=IDLE_TIMEOUT_SECONDS,
            drop_invalid_header_fields=True,
            enable_http2=True,
            enable_deletion_protection=args.production,
            tags=tags("alb"),
            opts=child,
        )
        self.api_targets = self._targets("api", API_PORT, args)
        self.sse_targets = self._targets("sse", SSE_PORT, args)
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            tags=tags("http"),
            opts=child,
        )
        self.https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.api_targets.arn)
            ],
            tags=tags("https"),
            opts=child,
        )
        aws.lb.ListenerRule(
            f"{name}-sse",
            listener_arn=self.https.arn,
            priority=10,
            conditions=[
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=SSE_PATHS)
                )
            ],
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=self.sse_targets.arn)],
            tags=tags("sse-route"),
            opts=child,
        )
        aws.route53.Record(
            f"{name}-a",
            zone_id=args.hosted_zone_id,
            name=args.domain,
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=self.balancer.dns_name, zone_id=self.balancer.zone_id, evaluate_target_health=True
                )
            ],
            opts=child,
        )
        self.register_outputs({"dnsName": self.balancer.dns_name})

    def _targets(self, service: str, port: int, args: EdgeArgs) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            service,
            port=port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                path=HEALTH_PATH,
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags=args.tags(f"{service}-targets"),
            opts=pulumi.ResourceOptions(parent=self),
        )
