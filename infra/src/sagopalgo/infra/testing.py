"""Build the stack under Pulumi's mocks and keep what each resource was given: for policy tests.

No Pulumi CLI, no engine, no AWS credentials: ``pulumi.runtime.set_mocks`` replaces the engine in
process, and the mocks below answer each registration with the inputs plus the few values AWS
would compute (ARNs, endpoints, names). Pulumi's runtime drives its own event loop; the build runs
on a fresh loop of its own, set for the duration and closed after, so it neither uses nor leaves
behind a loop that pytest-asyncio manages for async tests in the same worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from sagopalgo.infra.config import StackConfig
from sagopalgo.infra.stack import build

__all__ = [
    "BuiltStack",
    "RecordingMocks",
    "Registered",
    "arn",
    "build_stack",
    "config",
    "generated_password",
    "physical_name",
    "resource_id",
    "unsecret",
]

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
ROOT = Path(__file__).resolve().parents[4]
"""The repository root (the Docker build context), when installed from the workspace."""
_SIG_KEY, _SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
"""Pulumi's wire format: a secret is ``{_SIG_KEY: _SECRET_SIG, "value": ...}``."""


@dataclass(frozen=True)
class Registered:
    type: str
    """The type token, e.g. ``aws:ec2/securityGroup:SecurityGroup``."""
    name: str
    inputs: dict[str, Any]


def resource_id(typ: str, name: str) -> str:
    """The id the mocks give a resource: its kind and name, so a reference to the wrong kind shows."""
    return f"{typ.split(':')[-1].lower()}-{name}"


def arn(typ: str, name: str) -> str:
    """The ARN the mocks give a resource."""
    service, kind = typ.split(":")[1].split("/")[0], typ.split(":")[-1].lower()
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind}/{name}"


def unsecret(value: Any) -> Any:
    """A secret input arrives wrapped in Pulumi's secret signature; the plain value is inside."""
    if isinstance(value, dict) and value.get(_SIG_KEY) == _SECRET_SIG:
        return value["value"]
    return value


def physical_name(name: str) -> str:
    """The name the mocks give a resource the program lets Pulumi name (``name-1234abc``)."""
    return f"{name}-{_digest(name)[:7]}"


def generated_password(name: str) -> str:
    """What the mocks' ``RandomPassword`` named ``name`` generates (unique, so a leak is findable)."""
    return f"Pw{_digest(name)[:20]}-x"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _computed(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What AWS (or the provider) would fill in that the program reads back."""
    physical = inputs.get("name") or physical_name(name)
    out: dict[str, Any] = {"name": physical, "arn": arn(typ, name)}
    if typ == "aws:lb/loadBalancer:LoadBalancer":
        out |= {
            "arnSuffix": f"app/{name}/50dc6c495c0c9188",
            "dnsName": f"{name}.elb.amazonaws.com",
            "zoneId": "ZWKZPGTI48KDX",
        }
    elif typ == "aws:lb/targetGroup:TargetGroup":
        out |= {"arnSuffix": f"targetgroup/{name}/943f017f100becff"}
    elif typ == "aws:acm/certificate:Certificate":
        record = f"_{_digest(inputs['domainName'])[:8]}.{inputs['domainName']}."
        out["domainValidationOptions"] = [
            {
                "domainName": inputs["domainName"],
                "resourceRecordName": record,
                "resourceRecordType": "CNAME",
                "resourceRecordValue": "_x.acm-validations.aws.",
            }
        ]
    elif typ == "aws:acm/certificateValidation:CertificateValidation":
        out["certificateArn"] = inputs["certificateArn"]
    elif typ == "aws:route53/record:Record":
        out["fqdn"] = inputs["name"]
    elif typ == "aws:rds/instance:Instance":
        out |= {"address": f"{name}.abc.{REGION}.rds.amazonaws.com"}
    elif typ == "aws:elasticache/replicationGroup:ReplicationGroup":
        out["primaryEndpointAddress"] = f"master.{name}.abc.apn2.cache.amazonaws.com"
    elif typ == "aws:opensearch/domain:Domain":
        out["endpoint"] = f"vpc-{inputs['domainName']}-abc.{REGION}.es.amazonaws.com"
    elif typ == "aws:s3/bucket:Bucket":
        out |= {
            "bucket": f"{name}-bucket",
            "bucketRegionalDomainName": f"{name}-bucket.s3.{REGION}.amazonaws.com",
        }
    elif typ == "aws:cloudfront/distribution:Distribution":
        out |= {"domainName": "d111111abcdef8.cloudfront.net", "hostedZoneId": "Z2FDTNDATAQYW2"}
    elif typ == "aws:ecr/repository:Repository":
        out |= {
            "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{physical}",
            "registryId": ACCOUNT,
        }
    elif typ == "aws:secretsmanager/secret:Secret":
        out["arn"] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{inputs['namePrefix']}AbCdEf"
    elif typ == "aws:sqs/queue:Queue":
        out["url"] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
    elif typ == "docker-build:index:Image":
        out["ref"] = f"{inputs['tags'][0]}@sha256:{_digest(name)}"
    elif typ == "random:index/randomPassword:RandomPassword":
        out["result"] = generated_password(name)
    return out


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs)))
        return resource_id(args.typ, args.name), {
            **args.inputs,
            **_computed(args.typ, args.name, args.inputs),
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {"userName": "AWS", "password": "ecr-token", "proxyEndpoint": "https://ecr"}, []
        raise AssertionError(f"the program called {args.token}, which these mocks do not answer")


@dataclass
class BuiltStack:
    config: StackConfig
    resources: list[Registered]
    outputs: dict[str, Any] = field(default_factory=dict)

    def all(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Registered:
        found = [r for r in self.all(typ) if name is None or r.name == name]
        assert len(found) == 1, f"{len(found)} {typ} named {name}: {[r.name for r in self.all(typ)]}"
        return found[0]

    def task_definition(self, family_suffix: str) -> Registered:
        return next(
            t
            for t in self.all("aws:ecs/taskDefinition:TaskDefinition")
            if t.inputs["family"].endswith(family_suffix)
        )

    def containers(self, family_suffix: str) -> dict[str, dict[str, Any]]:
        """A task definition's containers by name (its JSON parsed, secret or not)."""
        definitions = unsecret(self.task_definition(family_suffix).inputs["containerDefinitions"])
        return {c["name"]: c for c in json.loads(definitions)}

    def __iter__(self) -> Iterator[Registered]:
        return iter(self.resources)


def build_stack(config: StackConfig) -> BuiltStack:
    mocks = RecordingMocks()
    built = BuiltStack(config, mocks.resources)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_mocks(mocks, project="sagopalgo", stack=config.stack, preview=False)

        @pulumi.runtime.test  # type: ignore[untyped-decorator,unused-ignore]
        def program() -> pulumi.Output[None]:
            outputs = build(config)
            return pulumi.Output.all(**vars(outputs)).apply(built.outputs.update)

        program()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return built


def config(stack: str = "dev", *, production: bool = False, **values: Any) -> StackConfig:
    base: dict[str, Any] = {
        "stack": stack,
        "region": REGION,
        "domain": f"{stack}.sagopalgo.example",
        "hosted_zone_id": "Z0000000EXAMPLE",
        "availability_zones": ("ap-northeast-2a", "ap-northeast-2c"),
        "context_dir": ROOT,
        **values,
    }
    if production:
        return StackConfig.production_defaults(**base)
    return StackConfig(production=False, **base)
