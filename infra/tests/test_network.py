"""Two zones, public subnets for the ALB and NAT only, everything else private behind NAT."""

from sagopalgo.infra.testing import BuiltStack, resource_id

SUBNET = "aws:ec2/subnet:Subnet"
ROUTES = "aws:ec2/routeTable:RouteTable"


def test_the_vpc_spans_two_zones_with_a_public_and_a_private_subnet_in_each(stack: BuiltStack) -> None:
    subnets = stack.all(SUBNET)
    by_tier: dict[str, list[str]] = {}
    for subnet in subnets:
        by_tier.setdefault(subnet.inputs["tags"]["tier"], []).append(subnet.inputs["availabilityZone"])
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, "nothing gets a public address by accident"
    assert sorted(by_tier["public"]) == sorted(stack.config.availability_zones)
    assert sorted(by_tier["private"]) == sorted(stack.config.availability_zones)
    assert stack.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"] == stack.config.vpc_cidr


def test_private_subnets_go_out_through_nat_and_public_ones_through_the_gateway(stack: BuiltStack) -> None:
    tables = {t.name: t.inputs["routes"] for t in stack.all(ROUTES)}
    assert tables["network-public"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": "internetgateway-network"}]
    for i in (0, 1):
        [route] = tables[f"network-private-{i}"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        assert route["natGatewayId"].startswith("natgateway-network-")
        assert "gatewayId" not in route
    associations = {
        a.inputs["subnetId"]: a.inputs["routeTableId"]
        for a in stack.all("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    for i in (0, 1):
        assert associations[resource_id(SUBNET, f"network-private-{i}")] == resource_id(
            ROUTES, f"network-private-{i}"
        )
        assert associations[resource_id(SUBNET, f"network-public-{i}")] == resource_id(
            ROUTES, "network-public"
        )


def test_production_has_a_nat_gateway_per_zone(dev: BuiltStack, prod: BuiltStack) -> None:
    nats = prod.all("aws:ec2/natGateway:NatGateway")
    assert sorted(n.inputs["subnetId"] for n in nats) == [
        resource_id(SUBNET, "network-public-0"),
        resource_id(SUBNET, "network-public-1"),
    ]
    private = {t.name: t.inputs["routes"][0]["natGatewayId"] for t in prod.all(ROUTES) if "private" in t.name}
    assert private == {
        "network-private-0": "natgateway-network-0",
        "network-private-1": "natgateway-network-1",
    }
    assert len(dev.all("aws:ec2/natGateway:NatGateway")) == 1, "a rehearsal shares one"
