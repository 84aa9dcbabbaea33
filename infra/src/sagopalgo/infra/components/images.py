"""Lot photos: a private S3 bucket, read by CloudFront only and written by presigned POSTs only.

Every public access switch is off and objects belong to the bucket owner (no ACLs). The bucket's
policy lets exactly this distribution read ``lots/*``, signed by origin access control; a
browser's upload is signed by the API's task role, and CORS admits the POST only from the site's
origins. The CDN serves ``https://images.<domain>/lots/...`` with a certificate in us-east-1,
where CloudFront reads it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from sagopalgo.infra.components.certificates import validated_certificate
from sagopalgo.infra.tagging import Tagger

__all__ = ["CACHING_OPTIMIZED", "IMAGE_PREFIX", "Images", "ImagesArgs"]

IMAGE_PREFIX = "lots/"
"""Where the catalog puts photos (``lots/{owner}/{token}.{ext}``); the API may write only there."""
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""AWS's managed cache policy ``Managed-CachingOptimized`` (a photo's key never changes content)."""


@dataclass(frozen=True)
class ImagesArgs:
    domain: str
    """``images.<domain>``: the CDN's name."""
    hosted_zone_id: str
    web_origins: Sequence[str]
    production: bool
    tags: Tagger


class Images(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    distribution: aws.cloudfront.Distribution
    base_url: str

    def __init__(self, name: str, args: ImagesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("sagopalgo:infra:Images", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.base_url = f"https://{args.domain}"
        self.bucket = aws.s3.Bucket(
            name, force_destroy=not args.production, tags=args.tags("images"), opts=child
        )
        access = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            name,
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        aws.s3.BucketCorsConfiguration(
            name,
            bucket=self.bucket.id,
            cors_rules=[
                aws.s3.BucketCorsConfigurationCorsRuleArgs(
                    allowed_methods=["POST"],
                    allowed_origins=list(args.web_origins),
                    allowed_headers=["*"],
                    expose_headers=["ETag", "Location"],
                    max_age_seconds=3600,
                )
            ],
            opts=child,
        )
        oac = aws.cloudfront.OriginAccessControl(
            name,
            description="sagopalgo images: CloudFront signs its reads of the private bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        validated = validated_certificate(
            "images",
            args.domain,
            zone_id=args.hosted_zone_id,
            tags=args.tags,
            parent=self,
            region="us-east-1",  # CloudFront reads certificates only from us-east-1
        )
        origin_id = "images-bucket"
        self.distribution = aws.cloudfront.Distribution(
            name,
            enabled=True,
            comment="sagopalgo lot photos",
            aliases=[args.domain],
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_200",  # includes Korea and Japan
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=origin_id,
                    domain_name=self.bucket.bucket_regional_domain_name,
                    origin_access_control_id=oac.id,
                    s3_origin_config=aws.cloudfront.DistributionOriginS3OriginConfigArgs(
                        origin_access_identity=""
                    ),
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=origin_id,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_OPTIMIZED,
                compress=True,
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=validated,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            ),
            tags=args.tags("images"),
            opts=child,
        )
        aws.s3.BucketPolicy(
            name,
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, self.distribution.arn).apply(
                lambda v: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "CloudFrontReadsPhotos",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Action": "s3:GetObject",
                                "Resource": f"{v[0]}/{IMAGE_PREFIX}*",
                                "Condition": {"StringEquals": {"AWS:SourceArn": v[1]}},
                            },
                            {
                                "Sid": "TlsOnly",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [v[0], f"{v[0]}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            },
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access]),
        )
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-{record_type.lower()}",
                zone_id=args.hosted_zone_id,
                name=args.domain,
                type=record_type,
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.distribution.domain_name,
                        zone_id=self.distribution.hosted_zone_id,
                        evaluate_target_health=False,
                    )
                ],
                opts=child,
            )
        self.register_outputs({"bucket": self.bucket.bucket, "cdn": self.base_url})
