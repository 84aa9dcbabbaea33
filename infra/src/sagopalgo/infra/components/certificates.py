"""ACM certificates validated by a DNS record in the stack's Route 53 zone."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.tagging import Tagger

__all__ = ["validated_certificate"]


def validated_certificate(
    name: str,
    domain: str,
    *,
    zone_id: str,
    tags: Tagger,
    parent: pulumi.Resource,
    region: str | None = None,
) -> pulumi.Output[str]:
    """The certificate's ARN, usable once AWS has seen the validation record and issued it."""
    child = pulumi.ResourceOptions(parent=parent)
    certificate = aws.acm.Certificate(
        name, domain_name=domain, validation_method="DNS", region=region, tags=tags(name), opts=child
    )
    option = certificate.domain_validation_options.apply(lambda options: options[0])
    record = aws.route53.Record(
        f"{name}-validation",
        zone_id=zone_id,
        name=option.apply(lambda o: o.resource_record_name or ""),
        type=option.apply(lambda o: o.resource_record_type or "CNAME"),
        records=[option.apply(lambda o: o.resource_record_value or "")],
        ttl=300,
        allow_overwrite=True,
        opts=child,
    )
    validation = aws.acm.CertificateValidation(
        name,
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        region=region,
        opts=child,
    )
    return validation.certificate_arn
