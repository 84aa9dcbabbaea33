"""Least privilege: each role may do what its code needs, on its own resources, and no more."""

import json
from typing import Any

from sagopalgo.infra.testing import BuiltStack, arn

ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/rolePolicy:RolePolicy"
# The only actions AWS lets no one scope to a resource, and so the only ones granted on "*".
UNSCOPABLE = {
    "ecr:GetAuthorizationToken",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


def _grants(stack: BuiltStack, role: str) -> dict[str, tuple[set[str], set[str]]]:
    """A role's inline policy: statement id -> (actions, resources)."""
    policy = stack.one(POLICY, role).inputs
    assert policy["role"] == f"role-{role}"
    document: dict[str, Any] = json.loads(policy["policy"])
    return {
        s["Sid"]: (set(s["Action"]), set(s["Resource"]))
        for s in document["Statement"]
        if s["Effect"] == "Allow"
    }


def _secret(stack: BuiltStack, name: str) -> str:
    prefix = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret"
    return f"{prefix}:sagopalgo-{stack.config.stack}/{name}-AbCdEf"


def test_no_statement_grants_every_action_or_every_resource_needlessly(stack: BuiltStack) -> None:
    for policy in stack.all(POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not any("*" in action for action in statement["Action"]), (policy.name, statement)
            if "*" in statement["Resource"]:
                assert set(statement["Action"]) <= UNSCOPABLE, (policy.name, statement)


def test_roles_are_assumed_only_by_their_own_service(stack: BuiltStack) -> None:
    principals = {
        role.name: json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"]
        for role in stack.all(ROLE)
    }
    assert principals == {
        "api-execution": "ecs-tasks.amazonaws.com",
        "api-task": "ecs-tasks.amazonaws.com",
        "sse-execution": "ecs-tasks.amazonaws.com",
        "sse-task": "ecs-tasks.amazonaws.com",
        "scheduler-function": "lambda.amazonaws.com",
        "scheduler-invoker": "scheduler.amazonaws.com",
    }
    for role in stack.all(ROLE):
        assert not role.inputs.get("managedPolicyArns"), "no broad AWS-managed policy is attached"


def test_the_api_may_write_read_and_delete_only_the_photo_prefix(stack: BuiltStack) -> None:
    bucket = arn("aws:s3/bucket:Bucket", "images")
    assert _grants(stack, "api-task") == {
        "PhotosUnderTheirPrefix": ({"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}, {f"{bucket}/lots/*"}),
        "ListPhotos": ({"s3:ListBucket"}, {bucket}),
    }


def test_the_sse_service_may_do_nothing_in_aws(stack: BuiltStack) -> None:
    assert not [p for p in stack.all(POLICY) if p.name == "sse-task"]


def test_execution_roles_pull_their_own_image_and_read_their_own_secrets(stack: BuiltStack) -> None:
    for service in ("api", "sse"):
        grants = _grants(stack, f"{service}-execution")
        assert grants["PullOwnImage"][1] == {arn("aws:ecr/repository:Repository", service)}
        assert grants["RouterLogs"][1] == {
            arn("aws:cloudwatch/logGroup:LogGroup", f"{service}-log-router") + ":*"
        }
        expected = {_secret(stack, n) for n in ("database-url", "redis-url", "search")}
        if service == "api":
            expected |= {_secret(stack, "jwt-secret")}
            if stack.config.toss_secret_key is not None:
                expected.add(_secret(stack, "toss-secret-key"))
        assert grants["OwnSecrets"] == ({"secretsmanager:GetSecretValue"}, expected)


def test_the_lambda_reaches_only_its_secrets_logs_and_dead_letters(stack: BuiltStack) -> None:
    grants = _grants(stack, "scheduler-function")
    expected = {_secret(stack, "database-url"), _secret(stack, "redis-url"), _secret(stack, "search")}
    if stack.config.toss_secret_key is not None:
        expected.add(_secret(stack, "toss-secret-key"))
    assert grants["OwnSecrets"] == ({"secretsmanager:GetSecretValue"}, expected)
    assert grants["OwnLogs"][1] == {arn("aws:cloudwatch/logGroup:LogGroup", "scheduler") + ":*"}
    assert grants["DeadLetters"] == (
        {"sqs:SendMessage"},
        {arn("aws:sqs/queue:Queue", "scheduler-dead-letters")},
    )
    assert set(grants) == {"VpcInterfaces", "OwnLogs", "OwnSecrets", "DeadLetters"}


def test_the_scheduler_may_invoke_only_the_function(stack: BuiltStack) -> None:
    assert _grants(stack, "scheduler-invoker") == {
        "InvokeScheduler": ({"lambda:InvokeFunction"}, {arn("aws:lambda/function:Function", "scheduler")}),
        "DeadLetters": ({"sqs:SendMessage"}, {arn("aws:sqs/queue:Queue", "scheduler-dead-letters")}),
    }
