"""The ALB: HTTPS only (HTTP redirects), ``/sse/*`` to the SSE service, health on ``/health/ready``."""

from sagopalgo.infra.testing import BuiltStack, arn, resource_id

LISTENER = "aws:lb/listener:Listener"
TARGETS = "aws:lb/targetGroup:TargetGroup"
HEARTBEAT_SECONDS = 15  # sagopalgo.sse.streams.HEARTBEAT_SECONDS


def test_http_only_redirects_to_https(stack: BuiltStack) -> None:
    http = next(r.inputs for r in stack.all(LISTENER) if r.inputs["port"] == 80)
    assert http["protocol"] == "HTTP"
    [action] = http["defaultActions"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}


def test_https_ends_tls_with_the_validated_certificate_and_forwards_to_the_api(stack: BuiltStack) -> None:
    https = next(r.inputs for r in stack.all(LISTENER) if r.inputs["port"] == 443)
    assert https["protocol"] == "HTTPS"
    assert https["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    site = next(
        c
        for c in stack.all("aws:acm/certificate:Certificate")
        if c.inputs["domainName"] == stack.config.domain
    )
    assert https["certificateArn"] == arn(site.type, site.name)
    assert https["defaultActions"] == [{"type": "forward", "targetGroupArn": _arn(stack, "api")}]


def test_only_sse_paths_go_to_the_sse_service(stack: BuiltStack) -> None:
    [rule] = stack.all("aws:lb/listenerRule:ListenerRule")
    assert rule.inputs["listenerArn"] == arn(LISTENER, "alb-https")
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/sse/*"]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": _arn(stack, "sse")}]


def test_streams_outlive_the_idle_timeout_and_the_services_outlive_the_alb(stack: BuiltStack) -> None:
    idle = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"]
    assert idle >= 4 * HEARTBEAT_SECONDS, "a stream is never idle for as long as the ALB waits"
    for service in ("-api", "-sse"):
        env = {e["name"]: e["value"] for e in stack.containers(service)[service[1:]]["environment"]}
        assert int(env["SAGOPALGO_KEEP_ALIVE_SECONDS"]) > idle, (
            "the ALB, not the service, closes idle connections"
        )


def test_targets_are_checked_on_readiness_at_the_ports_the_services_listen_on(stack: BuiltStack) -> None:
    ports = {"api": 8000, "sse": 8001}
    for target in stack.all(TARGETS):
        inputs = target.inputs
        assert inputs["targetType"] == "ip", "Fargate tasks register by address"
        assert inputs["port"] == ports[target.name]
        assert inputs["healthCheck"]["path"] == "/health/ready"
        assert inputs["healthCheck"]["matcher"] == "200"
        container = stack.containers(f"-{target.name}")[target.name]
        assert container["portMappings"][0]["containerPort"] == ports[target.name]
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env["SAGOPALGO_PORT" if target.name == "api" else "SAGOPALGO_SSE_PORT"] == str(
            ports[target.name]
        )
        service = stack.one("aws:ecs/service:Service", target.name).inputs
        assert service["loadBalancers"] == [
            {
                "targetGroupArn": _arn(stack, target.name),
                "containerName": target.name,
                "containerPort": ports[target.name],
            }
        ]


def test_the_site_and_the_cdn_have_their_names_in_route53(stack: BuiltStack) -> None:
    records = {(r.inputs["name"], r.inputs["type"]): r.inputs for r in stack.all("aws:route53/record:Record")}
    site = records[(stack.config.domain, "A")]
    assert site["aliases"][0]["name"] == "alb.elb.amazonaws.com"
    images = records[(f"images.{stack.config.domain}", "A")]
    assert images["aliases"][0]["name"].endswith(".cloudfront.net")
    for record in records.values():
        assert record["zoneId"] == stack.config.hosted_zone_id


def test_the_alb_is_public_in_both_zones_and_drops_malformed_headers(
    stack: BuiltStack, prod: BuiltStack
) -> None:
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert alb["internal"] is False
    assert alb["dropInvalidHeaderFields"] is True
    public = [
        resource_id("aws:ec2/subnet:Subnet", s.name)
        for s in stack.all("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["tier"] == "public"
    ]
    assert sorted(alb["subnets"]) == sorted(public)
    assert prod.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is True


def _arn(stack: BuiltStack, target: str) -> str:
    stack.one(TARGETS, target)
    return arn(TARGETS, target)
