"""Security group edges are exactly the intended ones: the internet reaches only the ALB."""

from typing import Any

from sagopalgo.infra.testing import BuiltStack, resource_id

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

# (from, to, port) — written out here, not imported, so a change to the program shows up as a diff.
INTENDED = {
    ("alb", "api", 8000),
    ("alb", "sse", 8001),
    ("api", "database", 3306),
    ("sse", "database", 3306),
    ("scheduler", "database", 3306),
    ("api", "redis", 6379),
    ("sse", "redis", 6379),
    ("scheduler", "redis", 6379),
    ("api", "search", 443),
    ("sse", "search", 443),
    ("scheduler", "search", 443),
}


def _groups(stack: BuiltStack) -> dict[str, str]:
    """Security group id -> its name."""
    return {resource_id(SG, sg.name): sg.name for sg in stack.all(SG)}


def _port(rule: dict[str, Any]) -> int:
    assert rule["ipProtocol"] == "tcp"
    assert rule["fromPort"] == rule["toPort"], "one port per rule, never a range"
    return int(rule["fromPort"])


def test_group_to_group_edges_are_exactly_the_intended_ones(stack: BuiltStack) -> None:
    groups = _groups(stack)
    ingress = {
        (groups[r.inputs["referencedSecurityGroupId"]], groups[r.inputs["securityGroupId"]], _port(r.inputs))
        for r in stack.all(INGRESS)
        if "referencedSecurityGroupId" in r.inputs
    }
    egress = {
        (groups[r.inputs["securityGroupId"]], groups[r.inputs["referencedSecurityGroupId"]], _port(r.inputs))
        for r in stack.all(EGRESS)
        if "referencedSecurityGroupId" in r.inputs
    }
    assert ingress == INTENDED
    assert egress == INTENDED, "each edge is allowed out of its source as well as into its target"


def test_only_the_alb_takes_traffic_from_the_internet_on_80_and_443(stack: BuiltStack) -> None:
    groups = _groups(stack)
    open_in = {
        (groups[r.inputs["securityGroupId"]], _port(r.inputs), r.inputs["cidrIpv4"])
        for r in stack.all(INGRESS)
        if "cidrIpv4" in r.inputs
    }
    assert open_in == {("alb", 80, "0.0.0.0/0"), ("alb", 443, "0.0.0.0/0")}
    assert not [
        r
        for r in [*stack.all(INGRESS), *stack.all(EGRESS)]
        if "cidrIpv6" in r.inputs or "prefixListId" in r.inputs
    ]


def test_only_the_services_and_the_lambda_go_out_and_only_to_https(stack: BuiltStack) -> None:
    groups = _groups(stack)
    open_out = {
        (groups[r.inputs["securityGroupId"]], _port(r.inputs), r.inputs["cidrIpv4"])
        for r in stack.all(EGRESS)
        if "cidrIpv4" in r.inputs
    }
    assert open_out == {("api", 443, "0.0.0.0/0"), ("sse", 443, "0.0.0.0/0"), ("scheduler", 443, "0.0.0.0/0")}
    sources = {groups[r.inputs["securityGroupId"]] for r in stack.all(EGRESS)}
    assert sources.isdisjoint({"database", "redis", "search"}), "the data stores open no connection"


def test_groups_have_no_inline_rules_and_the_default_group_is_closed(stack: BuiltStack) -> None:
    for sg in stack.all(SG):
        assert not sg.inputs.get("ingress"), sg.name
        assert not sg.inputs.get("egress"), sg.name
    default = stack.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default.inputs.get("ingress")
    assert not default.inputs.get("egress")


def test_each_resource_sits_in_its_own_group(stack: BuiltStack) -> None:
    def sg(name: str) -> list[str]:
        return [resource_id(SG, name)]

    assert stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["securityGroups"] == sg("alb")
    assert stack.one("aws:rds/instance:Instance").inputs["vpcSecurityGroupIds"] == sg("database")
    assert stack.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs["securityGroupIds"] == sg(
        "redis"
    )
    assert stack.one("aws:opensearch/domain:Domain").inputs["vpcOptions"]["securityGroupIds"] == sg("search")
    assert stack.one("aws:lambda/function:Function").inputs["vpcConfig"]["securityGroupIds"] == sg(
        "scheduler"
    )
    for service in ("api", "sse"):
        network = stack.one("aws:ecs/service:Service", service).inputs["networkConfiguration"]
        assert network["securityGroups"] == sg(service)
