"""The VPC over two availability zones: public subnets for the ALB and NAT, private ones for the rest.

Nothing but the load balancer and the NAT gateways has a public address: tasks, the Lambda, the
database, Redis and the search domain live in the private subnets and reach out through NAT.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.tagging import Tagger

__all__ = ["Network", "NetworkArgs", "subnet_cidrs"]


@dataclass(frozen=True)
class NetworkArgs:
    cidr: str
    zones: tuple[str, str]
    nat_per_zone: bool
    """One NAT gateway per zone (a zone's outage leaves the other's tasks their way out) or one."""
    tags: Tagger


def subnet_cidrs(cidr: str) -> tuple[list[str], list[str]]:
    """Two small public subnets (/24: ALB and NAT) and two large private ones (/20: tasks, data)."""
    network = ipaddress.ip_network(cidr)
    if network.prefixlen > 16:
        raise ValueError(f"vpcCidr {cidr}: use a /16 or larger")
    public = [str(s) for s in list(network.subnets(new_prefix=24))[:2]]
    private = [str(s) for s in list(network.subnets(new_prefix=20))[1:3]]
    return public, private


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        self.vpc = aws.ec2.Vpc(
            name,
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tags("vpc"),
            opts=child,
        )
        # The VPC's default group would let anything placed in it talk to anything else in it.
        aws.ec2.DefaultSecurityGroup(name, vpc_id=self.vpc.id, tags=tags("default-closed"), opts=child)
        gateway = aws.ec2.InternetGateway(name, vpc_id=self.vpc.id, tags=tags("igw"), opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=tags("public"),
            opts=child,
        )
        public_cidrs, private_cidrs = subnet_cidrs(args.cidr)
        self.public_subnet_ids, self.private_subnet_ids = [], []
        nats: list[aws.ec2.NatGateway] = []
        for i, zone in enumerate(args.zones):
            public = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=tags(f"public-{zone}", tier="public"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=public.id, route_table_id=public_routes.id, opts=child
            )
            self.public_subnet_ids.append(public.id)
            if args.nat_per_zone or i == 0:
                address = aws.ec2.Eip(f"{name}-nat-{i}", domain="vpc", tags=tags(f"nat-{zone}"), opts=child)
                nats.append(
                    aws.ec2.NatGateway(
                        f"{name}-{i}",
                        allocation_id=address.id,
                        subnet_id=public.id,
                        tags=tags(f"nat-{zone}"),
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                    )
                )
            private = aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=self.vpc.id,
                cidr_block=private_cidrs[i],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=tags(f"private-{zone}", tier="private"),
                opts=child,
            )
            private_routes = aws.ec2.RouteTable(
                f"{name}-private-{i}",
                vpc_id=self.vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nats[-1].id)],
                tags=tags(f"private-{zone}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=private.id, route_table_id=private_routes.id, opts=child
            )
            self.private_subnet_ids.append(private.id)
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
            }
        )
