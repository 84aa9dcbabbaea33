"""The Fargate services: what they run, the settings they get, secrets only as ECS secrets, logs."""

import json
from dataclasses import replace
from typing import Any

import pytest

from sagopalgo.infra.app_settings import SECRET_SETTINGS
from sagopalgo.infra.testing import (
    BuiltStack,
    arn,
    build_stack,
    config,
    generated_password,
    physical_name,
    resource_id,
    unsecret,
)

SERVICES = ("api", "sse")


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["environment"]}


def _passwords(stack: BuiltStack) -> list[str]:
    return [generated_password(p.name) for p in stack.all("random:index/randomPassword:RandomPassword")]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_its_serve_command_beside_a_log_router(stack: BuiltStack, service: str) -> None:
    containers = stack.containers(f"-{service}")
    assert set(containers) == {service, "log-router"}
    app = containers[service]
    assert app["command"] == ["serve", service]
    assert app["image"].startswith(f"123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/{service}-")
    assert "@sha256:" in app["image"], "deployed by digest: a rebuilt image is a new revision"
    assert app["dependsOn"] == [{"containerName": "log-router", "condition": "START"}]
    env = _env(app)
    assert env["SAGOPALGO_HOST"] == "0.0.0.0"  # noqa: S104 - the task's own interface; the ALB's group reaches it
    assert env["SAGOPALGO_SCHEDULE"] == "off", "the Lambda runs the auction day, not every task"
    assert env["SAGOPALGO_LOG_FORMAT"] == "json"
    assert env["SAGOPALGO_FORWARDED_ALLOW_IPS"] == stack.config.vpc_cidr


def test_the_services_and_the_lambda_agree_on_the_auction_window(stack: BuiltStack) -> None:
    lambda_env = stack.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    for service in SERVICES:
        env = _env(stack.containers(f"-{service}")[service])
        for name in ("SAGOPALGO_AUCTION_OPENS", "SAGOPALGO_AUCTION_CLOSES", "SAGOPALGO_AUCTION_HARD_CAP"):
            assert env[name] == lambda_env[name]


def test_the_api_is_told_where_images_live_and_which_origins_may_call_it(stack: BuiltStack) -> None:
    env = _env(stack.containers("-api")["api"])
    assert env["SAGOPALGO_S3_BUCKET"] == "images-bucket"
    assert env["SAGOPALGO_S3_REGION"] == stack.config.region
    assert env["SAGOPALGO_CDN_BASE_URL"] == f"https://images.{stack.config.domain}"
    assert env["SAGOPALGO_PUBLIC_BASE_URL"] == f"https://{stack.config.domain}"
    # The lot pages open their streams at the SSE service's public URL: the same host, /sse/* on the ALB.
    for service in SERVICES:
        assert _env(stack.containers(f"-{service}")[service])["SAGOPALGO_SSE_PUBLIC_URL"] == (
            f"https://{stack.config.domain}"
        )
    assert env["SAGOPALGO_CORS_ORIGINS"].split(",")[0] == f"https://{stack.config.domain}"
    assert env["SAGOPALGO_SEARCH"] == "opensearch", "the lot index is on the stack's OpenSearch domain"
    assert env["SAGOPALGO_ELASTICSEARCH_ANALYZER"] == "ngram"
    assert "SAGOPALGO_SEARCH" not in _env(stack.containers("-sse")["sse"]), "it searches nothing"


@pytest.mark.parametrize("service", SERVICES)
def test_credentials_reach_the_tasks_only_as_ecs_secrets(stack: BuiltStack, service: str) -> None:
    definitions = stack.task_definition(f"-{service}").inputs["containerDefinitions"]
    assert isinstance(definitions, str), "no secret value flowed into the task definition"
    app = stack.containers(f"-{service}")[service]
    secrets = {s["name"]: s["valueFrom"] for s in app["secrets"]}
    assert not set(_env(app)) & SECRET_SETTINGS, "no credential is an environment value"
    assert set(secrets) <= SECRET_SETTINGS
    for value_from in secrets.values():
        assert value_from.startswith("arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:sagopalgo-")
    expected = {"SAGOPALGO_DATABASE_URL", "SAGOPALGO_REDIS_URL"}
    if service == "api":
        expected |= {"SAGOPALGO_JWT_SECRET", "SAGOPALGO_OPENSEARCH_URL"}
        if stack.config.toss_secret_key is not None:
            expected.add("SAGOPALGO_TOSS_SECRET_KEY")
    assert set(secrets) == expected


def test_no_generated_credential_appears_outside_its_store_and_its_secret(stack: BuiltStack) -> None:
    allowed = {
        "aws:secretsmanager/secretVersion:SecretVersion",
        "aws:rds/instance:Instance",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:opensearch/domain:Domain",
        "random:index/randomPassword:RandomPassword",
    }
    passwords = _passwords(stack)
    assert len(passwords) == 4
    for resource in stack:
        if resource.type in allowed:
            continue
        text = json.dumps(resource.inputs, default=str)
        for password in passwords:
            assert password not in text, f"a credential leaked into {resource.type} {resource.name}"
    assert "live_sk_" not in json.dumps([r.inputs for r in stack if r.type not in allowed], default=str)


def test_secret_values_are_the_urls_the_settings_expect(dev: BuiltStack) -> None:
    values = {
        v.name: unsecret(v.inputs["secretString"])
        for v in dev.all("aws:secretsmanager/secretVersion:SecretVersion")
    }
    assert values["database-url"].startswith("mysql+asyncmy://sagopalgo:")
    assert values["database-url"].endswith("@database.abc.ap-northeast-2.rds.amazonaws.com:3306/sagopalgo")
    assert values["redis-url"].startswith("rediss://:")
    assert values["redis-url"].endswith(".cache.amazonaws.com:6379/0")
    assert values["jwt-secret"] == generated_password("jwt")
    assert dev.one("random:index/randomPassword:RandomPassword", "jwt").inputs["length"] >= 32
    search = json.loads(values["search"])
    assert (
        search["url"]
        == f"https://sagopalgo:{search['password']}@vpc-sagopalgo-dev-abc.ap-northeast-2.es.amazonaws.com:443"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_firelens_ships_the_json_logs_to_the_search_domain(stack: BuiltStack, service: str) -> None:
    containers = stack.containers(f"-{service}")
    router = containers["log-router"]
    assert router["image"].startswith("public.ecr.aws/aws-observability/aws-for-fluent-bit:")
    assert router["firelensConfiguration"]["type"] == "fluentbit"
    assert (
        router["firelensConfiguration"]["options"]["config-file-value"]
        == "/fluent-bit/configs/parse-json.conf"
    )
    logging = containers[service]["logConfiguration"]
    assert logging["logDriver"] == "awsfirelens"
    options = logging["options"]
    assert options["Name"] == "opensearch"
    assert options["Host"] == f"vpc-sagopalgo-{stack.config.stack}-abc.ap-northeast-2.es.amazonaws.com"
    assert (options["Port"], options["tls"]) == ("443", "On")
    assert options["Logstash_Prefix"] == f"sagopalgo-{service}"
    assert "HTTP_Passwd" not in options, "the password is a secret option"
    [password] = logging["secretOptions"]
    assert password["name"] == "HTTP_Passwd"
    assert password["valueFrom"].endswith(":password::")


@pytest.mark.parametrize("service", SERVICES)
def test_tasks_run_in_private_subnets_and_roll_back_failed_deployments(
    stack: BuiltStack, service: str
) -> None:
    inputs = stack.one("aws:ecs/service:Service", service).inputs
    network = inputs["networkConfiguration"]
    assert network["assignPublicIp"] is False
    private = {
        resource_id("aws:ec2/subnet:Subnet", s.name)
        for s in stack.all("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["tier"] == "private"
    }
    assert set(network["subnets"]) == private
    assert inputs["launchType"] == "FARGATE"
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    task = next(
        t
        for t in stack.all("aws:ecs/taskDefinition:TaskDefinition")
        if t.inputs["family"].endswith(f"-{service}")
    )
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["networkMode"] == "awsvpc"


def test_the_api_scales_on_cpu_and_requests_per_target(stack: BuiltStack) -> None:
    policies = {p.name: p.inputs for p in stack.all("aws:appautoscaling/policy:Policy")}
    cpu = policies["api-cpu"]["targetTrackingScalingPolicyConfiguration"]
    assert cpu["predefinedMetricSpecification"]["predefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert cpu["targetValue"] == stack.config.api_cpu_target
    requests = policies["api-requests"]["targetTrackingScalingPolicyConfiguration"]
    spec = requests["predefinedMetricSpecification"]
    assert spec["predefinedMetricType"] == "ALBRequestCountPerTarget"
    assert spec["resourceLabel"] == "app/alb/50dc6c495c0c9188/targetgroup/api/943f017f100becff"
    assert requests["targetValue"] == stack.config.api_requests_per_target
    for name in ("api-cpu", "api-requests"):
        assert policies[name]["resourceId"] == f"service/{physical_name('cluster')}/{physical_name('api')}"
        assert policies[name]["policyType"] == "TargetTrackingScaling"


def test_the_sse_service_scales_on_connections_per_task(stack: BuiltStack) -> None:
    policy = stack.one("aws:appautoscaling/policy:Policy", "sse-connections").inputs
    assert policy["resourceId"] == f"service/{physical_name('cluster')}/{physical_name('sse')}"
    config = policy["targetTrackingScalingPolicyConfiguration"]
    metrics = {m["id"]: m for m in config["customizedMetricSpecification"]["metrics"]}
    connections = metrics["connections"]["metricStat"]["metric"]
    assert (connections["namespace"], connections["metricName"]) == (
        "AWS/ApplicationELB",
        "ActiveConnectionCount",
    )
    tasks = metrics["tasks"]["metricStat"]["metric"]
    assert tasks["metricName"] == "HealthyHostCount"
    assert {"name": "TargetGroup", "value": "targetgroup/sse/943f017f100becff"} in tasks["dimensions"]
    [returned] = [m for m in metrics.values() if m["returnData"]]
    assert "connections / tasks" in returned["expression"]
    assert config["targetValue"] == 2 * stack.config.sse_connections_per_task


@pytest.mark.parametrize("service", SERVICES)
def test_autoscaling_moves_within_the_configured_bounds(stack: BuiltStack, service: str) -> None:
    size = getattr(stack.config, service)
    target = stack.one("aws:appautoscaling/target:Target", service).inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (size.min_tasks, size.max_tasks)
    assert target["scalableDimension"] == "ecs:service:DesiredCount"
    assert stack.one("aws:ecs/service:Service", service).inputs["desiredCount"] == size.min_tasks


def test_production_runs_at_least_two_tasks_of_each_service(prod: BuiltStack) -> None:
    for service in SERVICES:
        assert prod.one("aws:appautoscaling/target:Target", service).inputs["minCapacity"] >= 2


def test_task_definitions_name_their_roles(stack: BuiltStack) -> None:
    for service in SERVICES:
        task = next(
            t
            for t in stack.all("aws:ecs/taskDefinition:TaskDefinition")
            if t.inputs["family"].endswith(f"-{service}")
        )
        assert task.inputs["executionRoleArn"] == arn("aws:iam/role:Role", f"{service}-execution")
        assert task.inputs["taskRoleArn"] == arn("aws:iam/role:Role", f"{service}-task")


def test_an_elasticsearch_cluster_may_replace_the_domain_for_the_lot_index() -> None:
    built = build_stack(config("es", elasticsearch_url="https://elastic:pw@lots.es.example:443"))
    [search] = [v for v in built.all("aws:secretsmanager/secretVersion:SecretVersion") if v.name == "search"]
    assert (
        json.loads(unsecret(search.inputs["secretString"]))["url"] == "https://elastic:pw@lots.es.example:443"
    )
    router = built.containers("-api")["api"]["logConfiguration"]["options"]
    assert router["Host"] == "vpc-sagopalgo-es-abc.ap-northeast-2.es.amazonaws.com", "logs stay on the domain"
    api = built.containers("-api")["api"]
    assert _env(api)["SAGOPALGO_SEARCH"] == "elasticsearch", "the Elasticsearch client, for Elasticsearch"
    urls = {s["name"] for s in api["secrets"]} & {"SAGOPALGO_ELASTICSEARCH_URL", "SAGOPALGO_OPENSEARCH_URL"}
    assert urls == {"SAGOPALGO_ELASTICSEARCH_URL"}
    variables = built.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert variables["SAGOPALGO_SEARCH"] == "elasticsearch"
    assert "SAGOPALGO_ELASTICSEARCH_URL" in json.loads(variables["SAGOPALGO_SECRET_ARNS"])


def test_toss_keys_reach_the_processes_that_pay_and_only_as_a_pair(prod: BuiltStack) -> None:
    for service in SERVICES:
        app = prod.containers(f"-{service}")[service]
        has_client = "SAGOPALGO_TOSS_CLIENT_KEY" in _env(app)
        has_secret = "SAGOPALGO_TOSS_SECRET_KEY" in {s["name"] for s in app["secrets"]}
        assert has_client == has_secret == (service == "api")


def test_the_lot_index_may_analyse_korean_with_nori_on_the_domain() -> None:
    built = build_stack(config("nori", search=replace(config().search, analyzer="nori")))
    assert _env(built.containers("-api")["api"])["SAGOPALGO_ELASTICSEARCH_ANALYZER"] == "nori"
    variables = built.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert variables["SAGOPALGO_ELASTICSEARCH_ANALYZER"] == "nori", "the Lambda writes the same index"
    assert "SAGOPALGO_ELASTICSEARCH_ANALYZER" not in _env(built.containers("-sse")["sse"])
    with pytest.raises(ValueError, match="ngram or nori"):
        replace(config().search, analyzer="kuromoji")
