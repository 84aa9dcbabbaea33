"""The OpenSearch domain (Amazon OpenSearch Service): the lot index, and the JSON logs.

It lives in the private subnets with no public endpoint; only the tasks' security group reaches it.
Fine-grained access control (which needs encryption at rest, between nodes and HTTPS only, all on
here) authenticates every request with the internal user whose password is generated below; the
domain's resource policy may therefore be open to any principal, as AWS's guide for fine-grained
access control advises, because the user check happens behind it. OpenSearch Dashboards (Kibana's
counterpart) is served by the domain at ``/_dashboards``, reachable from inside the VPC.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.config import SearchSize
from sagopalgo.infra.tagging import Tagger

__all__ = ["SEARCH_USER", "Search", "SearchArgs"]

SEARCH_USER = "sagopalgo"


@dataclass(frozen=True)
class SearchArgs:
    domain_name: str
    size: SearchSize
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    password: pulumi.Input[str]
    tags: Tagger


class Search(pulumi.ComponentResource):
    domain: aws.opensearch.Domain
    endpoint: pulumi.Output[str]
    """The domain's host name (HTTPS, 443)."""
    url: pulumi.Output[str]
    """``SAGOPALGO_OPENSEARCH_URL``'s value: ``https://user:password@endpoint:443`` (so a secret)."""

    def __init__(self, name: str, args: SearchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Search", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zone_aware = args.size.instance_count > 1
        self.domain = aws.opensearch.Domain(
            name,
            domain_name=args.domain_name,
            engine_version=args.size.engine_version,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=args.size.instance_type,
                instance_count=args.size.instance_count,
                zone_awareness_enabled=zone_aware,
                zone_awareness_config=aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
                    availability_zone_count=2
                )
                if zone_aware
                else None,
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_size=args.size.volume_gb, volume_type="gp3"
            ),
            vpc_options=aws.opensearch.DomainVpcOptionsArgs(
                subnet_ids=list(args.subnet_ids) if zone_aware else [args.subnet_ids[0]],
                security_group_ids=[args.security_group_id],
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy="Policy-Min-TLS-1-2-2019-07"
            ),
            advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
                enabled=True,
                anonymous_auth_enabled=False,
                internal_user_database_enabled=True,
                master_user_options=aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                    master_user_name=SEARCH_USER, master_user_password=args.password
                ),
            ),
            tags=args.tags("search"),
            opts=child,
        )
        aws.opensearch.DomainPolicy(
            name,
            domain_name=self.domain.domain_name,
            access_policies=self.domain.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "*"},
                                "Action": "es:ESHttp*",
                                "Resource": f"{arn}/*",
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        self.endpoint = self.domain.endpoint
        self.url = pulumi.Output.secret(
            pulumi.Output.all(self.domain.endpoint, args.password).apply(
                lambda v: f"https://{SEARCH_USER}:{v[1]}@{v[0]}:443"
            )
        )
        self.register_outputs({"endpoint": self.domain.endpoint})
