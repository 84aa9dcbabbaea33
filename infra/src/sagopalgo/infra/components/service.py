"""One Fargate service behind the ALB (used for the API and the SSE service).

The task runs the service's image (``sagopalgo serve api|sse``) beside a FireLens log router: the
service writes JSON lines to stdout, Fluent Bit parses them and ships them to the search domain
(daily ``sagopalgo-<service>-YYYY.MM.DD`` indices). Settings arrive as environment values, and
every credential as an ECS secret that the execution role alone may read; the task role holds only
what the running code needs. Autoscaling moves the desired count; deployments roll back when new
tasks never turn healthy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.components.credentials import SecretRef
from sagopalgo.infra.config import ServiceSize
from sagopalgo.infra.iam import assume_role, policy, statement
from sagopalgo.infra.tagging import Tagger

__all__ = ["FLUENT_BIT_IMAGE", "LOG_ROUTER", "FargateService", "FargateServiceArgs", "LogShipping"]

FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
LOG_ROUTER = "log-router"
PARSE_JSON = "/fluent-bit/configs/parse-json.conf"
"""Shipped in AWS's Fluent Bit image: parses each line's ``log`` field as JSON into the record."""


@dataclass(frozen=True)
class LogShipping:
    """Where FireLens sends the logs: the search domain, as its internal user."""

    host: pulumi.Input[str]
    user: str
    password: SecretRef
    region: str
    retention_days: int


@dataclass(frozen=True)
class FargateServiceArgs:
    service: str
    """``api`` or ``sse``: the container's name and the ``serve`` argument."""
    family: str
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    image: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    port: int
    size: ServiceSize
    environment: Mapping[str, pulumi.Input[str]]
    secrets: Mapping[str, SecretRef]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    logs: LogShipping
    tags: Tagger
    task_statements: Sequence[dict[str, Any]] = field(default_factory=tuple)
    """What the running code may do in AWS, beyond nothing."""
    stop_timeout: int = 30


class FargateService(pulumi.ComponentResource):
    service: aws.ecs.Service
    task_definition: aws.ecs.TaskDefinition
    scaling: aws.appautoscaling.Target
    task_role: aws.iam.Role
    execution_role: aws.iam.Role

    def __init__(
        self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("sagopalgo:infra:FargateService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        router_logs = aws.cloudwatch.LogGroup(
            f"{name}-log-router",
            name=f"/ecs/{args.family}/log-router",
            retention_in_days=args.logs.retention_days,
            tags=tags(f"{name}-log-router"),
            opts=child,
        )
        secret_arns = pulumi.Output.all(
            *(s.arn for s in args.secrets.values()), args.logs.password.arn
        ).apply(lambda arns: sorted(set(arns)))
        self.execution_role = aws.iam.Role(
            f"{name}-execution",
            assume_role_policy=assume_role("ecs-tasks"),
            description=f"ECS starts {name}'s tasks: pulls the image, reads the secrets, writes router logs",
            tags=tags(f"{name}-execution"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution",
            role=self.execution_role.id,
            policy=policy(
                statement("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),
                statement(
                    "PullOwnImage",
                    ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    [args.repository_arn],
                ),
                statement("OwnSecrets", ["secretsmanager:GetSecretValue"], secret_arns),
                statement(
                    "RouterLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [router_logs.arn.apply(lambda arn: f"{arn}:*")],
                ),
            ),
            opts=child,
        )
        self.task_role = aws.iam.Role(
            f"{name}-task",
            assume_role_policy=assume_role("ecs-tasks"),
            description=f"What {name}'s running code may do in AWS",
            tags=tags(f"{name}-task"),
            opts=child,
        )
        if args.task_statements:
            aws.iam.RolePolicy(
                f"{name}-task", role=self.task_role.id, policy=policy(*args.task_statements), opts=child
            )
        self.task_definition = aws.ecs.TaskDefinition(
            name,
            family=args.family,
            cpu=str(args.size.cpu),
            memory=str(args.size.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=pulumi.Output.json_dumps(
                [_app_container(args), _log_router(args, router_logs.name)]
            ),
            tags=tags(name),
            opts=child,
        )
        self.service = aws.ecs.Service(
            name,
            cluster=args.cluster_arn,
            task_definition=self.task_definition.arn,
            desired_count=args.size.min_tasks,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.subnet_ids),
                security_groups=[args.security_group_id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=args.target_group_arn,
                    container_name=args.service,
                    container_port=args.port,
                )
            ],
            health_check_grace_period_seconds=60,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            tags=tags(name),
            # Autoscaling owns the desired count once the service exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCount"]),
        )
        self.scaling = aws.appautoscaling.Target(
            name,
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster_name, "/", self.service.name),
            min_capacity=args.size.min_tasks,
            max_capacity=args.size.max_tasks,
            tags=tags(name),
            opts=child,
        )
        self.register_outputs({"service": self.service.name})

    def track(
        self, name: str, config: aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
    ) -> None:
        """Add a target-tracking policy: scale out when the metric is above target, in when below."""
        aws.appautoscaling.Policy(
            name,
            policy_type="TargetTrackingScaling",
            service_namespace=self.scaling.service_namespace,
            scalable_dimension=self.scaling.scalable_dimension,
            resource_id=self.scaling.resource_id,
            target_tracking_scaling_policy_configuration=config,
            opts=pulumi.ResourceOptions(parent=self),
        )


def _app_container(args: FargateServiceArgs) -> dict[str, Any]:
    logs = args.logs
    return {
        "name": args.service,
        "image": args.image,
        "essential": True,
        "command": ["serve", args.service],
        "portMappings": [{"containerPort": args.port, "protocol": "tcp", "name": args.service}],
        "environment": [{"name": k, "value": v} for k, v in sorted(args.environment.items())],
        "secrets": [{"name": k, "valueFrom": ref.value_from} for k, ref in sorted(args.secrets.items())],
        "ulimits": [{"name": "nofile", "softLimit": 65535, "hardLimit": 65535}],
        "stopTimeout": args.stop_timeout,
        "dependsOn": [{"containerName": LOG_ROUTER, "condition": "START"}],
        "logConfiguration": {
            "logDriver": "awsfirelens",
            "options": {
                "Name": "opensearch",
                "Host": logs.host,
                "Port": "443",
                "tls": "On",
                "HTTP_User": logs.user,
                "Logstash_Format": "On",
                "Logstash_Prefix": f"sagopalgo-{args.service}",
                "Suppress_Type_Name": "On",
                "Replace_Dots": "On",
                "Trace_Error": "On",
                "Retry_Limit": "5",
            },
            "secretOptions": [{"name": "HTTP_Passwd", "valueFrom": logs.password.value_from}],
        },
    }


def _log_router(args: FargateServiceArgs, group: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "name": LOG_ROUTER,
        "image": FLUENT_BIT_IMAGE,
        "essential": True,
        "memoryReservation": 64,
        "firelensConfiguration": {
            "type": "fluentbit",
            "options": {
                "enable-ecs-log-metadata": "true",
                "config-file-type": "file",
                "config-file-value": PARSE_JSON,
            },
        },
        # The router's own complaints (a refused write, a bad password) go to CloudWatch Logs.
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": group,
                "awslogs-region": args.logs.region,
                "awslogs-stream-prefix": LOG_ROUTER,
            },
        },
    }
