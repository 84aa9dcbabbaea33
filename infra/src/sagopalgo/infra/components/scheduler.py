"""The auction day's clock: EventBridge Scheduler (Asia/Seoul) invoking the scheduler Lambda.

One runner for the whole deployment, whatever the number of API tasks (the seed's bug was one per
server; the services run with ``SCHEDULE=off``). The Lambda is the image built from
``services/scheduler/Dockerfile``, runs in the private subnets (it reaches the database and Redis,
and through NAT, Secrets Manager and Toss) and reads its secret settings itself by ARN.

A failed run is retried twice by Lambda, and a schedule whose invocation fails is retried by the
scheduler; what still fails lands in one dead-letter queue. Every transition is idempotent, and
the next run catches up whatever a lost one left due.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.app_settings import Env
from sagopalgo.infra.components.credentials import SecretRef
from sagopalgo.infra.iam import assume_role, policy, statement
from sagopalgo.infra.schedule import TIMEZONE, ScheduledRun
from sagopalgo.infra.tagging import Tagger

__all__ = ["HANDLER", "Scheduler", "SchedulerArgs"]

HANDLER = "sagopalgo.scheduler.handler.handler"
"""The image's CMD (``services/scheduler/Dockerfile``); recorded here for the README and tests."""
_RETRY = {"open": (5, 3600), "close": (2, 120), "expire": (2, 3600)}
"""The scheduler's retries per transition: attempts, and how old an event may get (s). A close run
older than two minutes is superseded by the next minute's anyway."""


@dataclass(frozen=True)
class SchedulerArgs:
    name: str
    """The function's name (fixed: its log group is named after it)."""
    image: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    runs: Sequence[ScheduledRun]
    environment: Mapping[str, pulumi.Input[str]]
    secrets: Mapping[str, SecretRef]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    retention_days: int
    tags: Tagger


class Scheduler(pulumi.ComponentResource):
    function: aws.lambda_.Function
    dead_letters: aws.sqs.Queue
    schedules: list[aws.scheduler.Schedule]

    def __init__(self, name: str, args: SchedulerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Scheduler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        self.dead_letters = aws.sqs.Queue(
            f"{name}-dead-letters",
            message_retention_seconds=14 * 24 * 3600,
            sqs_managed_sse_enabled=True,
            tags=tags("scheduler-dead-letters"),
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            name,
            name=f"/aws/lambda/{args.name}",
            retention_in_days=args.retention_days,
            tags=tags("scheduler"),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-function",
            assume_role_policy=assume_role("lambda"),
            description="The scheduler Lambda: its network interfaces, logs, secrets and dead letters",
            tags=tags("scheduler-function"),
            opts=child,
        )
        secret_arns = pulumi.Output.all(*(s.arn for s in args.secrets.values())).apply(
            lambda a: sorted(set(a))
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-function",
            role=role.id,
            policy=policy(
                # Lambda creates and removes the function's interfaces in the VPC; EC2 scopes none of these.
                statement(
                    "VpcInterfaces",
                    [
                        "ec2:CreateNetworkInterface",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses",
                        "ec2:UnassignPrivateIpAddresses",
                    ],
                    ["*"],
                ),
                statement(
                    "OwnLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [logs.arn.apply(lambda a: f"{a}:*")],
                ),
                statement("OwnSecrets", ["secretsmanager:GetSecretValue"], secret_arns),
                statement("DeadLetters", ["sqs:SendMessage"], [self.dead_letters.arn]),
            ),
            opts=child,
        )
        environment: dict[str, pulumi.Input[str]] = dict(args.environment)
        environment[Env.SECRET_ARNS] = pulumi.Output.json_dumps(
            {variable: ref.value_from for variable, ref in sorted(args.secrets.items())}
        )
        self.function = aws.lambda_.Function(
            name,
            name=args.name,
            description="Sagopalgo's auction day: open, close, expire (EventBridge Scheduler, Asia/Seoul)",
            package_type="Image",
            image_uri=args.image,
            architectures=["x86_64"],
            role=role.arn,
            timeout=300,
            memory_size=512,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(args.subnet_ids), security_group_ids=[args.security_group_id]
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=logs.name),
            tags=tags("scheduler"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, logs]),
        )
        aws.lambda_.FunctionEventInvokeConfig(
            name,
            function_name=self.function.name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=3600,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=self.dead_letters.arn
                )
            ),
            opts=child,
        )
        invoker = aws.iam.Role(
            f"{name}-invoker",
            assume_role_policy=assume_role("scheduler"),
            description="EventBridge Scheduler: invoke the scheduler Lambda, dead-letter what fails",
            tags=tags("scheduler-invoker"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-invoker",
            role=invoker.id,
            policy=policy(
                statement("InvokeScheduler", ["lambda:InvokeFunction"], [self.function.arn]),
                statement("DeadLetters", ["sqs:SendMessage"], [self.dead_letters.arn]),
            ),
            opts=child,
        )
        group = aws.scheduler.ScheduleGroup(name, name=args.name, tags=tags("schedules"), opts=child)
        self.schedules = []
        for run in args.runs:
            attempts, max_age = _RETRY[run.transition]
            self.schedules.append(
                aws.scheduler.Schedule(
                    f"{name}-{run.name}",
                    name=run.name,
                    group_name=group.name,
                    description=f"auction day: {run.transition}",
                    schedule_expression=run.cron,
                    schedule_expression_timezone=TIMEZONE,
                    flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                    state="ENABLED",
                    target=aws.scheduler.ScheduleTargetArgs(
                        arn=self.function.arn,
                        role_arn=invoker.arn,
                        input=json.dumps({"transition": run.transition}),
                        retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                            maximum_retry_attempts=attempts, maximum_event_age_in_seconds=max_age
                        ),
                        dead_letter_config=aws.scheduler.ScheduleTargetDeadLetterConfigArgs(
                            arn=self.dead_letters.arn
                        ),
                    ),
                    opts=child,
                )
            )
        self.register_outputs({"function": self.function.name, "deadLetters": self.dead_letters.url})
