"""None of the data stores is public, all are encrypted, and production keeps them safe."""

import json

from sagopalgo.infra.testing import BuiltStack, arn, resource_id

RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
SEARCH = "aws:opensearch/domain:Domain"
BUCKET = "aws:s3/bucket:Bucket"


def _private_subnets(stack: BuiltStack) -> list[str]:
    subnets = stack.all("aws:ec2/subnet:Subnet")
    return [
        resource_id("aws:ec2/subnet:Subnet", s.name) for s in subnets if s.inputs["tags"]["tier"] == "private"
    ]


def test_the_database_is_private_encrypted_and_backed_up(stack: BuiltStack) -> None:
    db = stack.one(RDS).inputs
    assert db["engine"] == "mysql"
    assert db["engineVersion"].startswith("8.")
    assert db["publiclyAccessible"] is False
    assert db["storageEncrypted"] is True
    assert db["backupRetentionPeriod"] >= 1
    group = stack.one("aws:rds/subnetGroup:SubnetGroup").inputs
    assert sorted(group["subnetIds"]) == sorted(_private_subnets(stack))


def test_production_runs_the_database_multi_az_and_protected(dev: BuiltStack, prod: BuiltStack) -> None:
    live, rehearsal = prod.one(RDS).inputs, dev.one(RDS).inputs
    assert live["multiAz"] is True
    assert live["deletionProtection"] is True
    assert live["skipFinalSnapshot"] is False
    assert live["finalSnapshotIdentifier"]
    assert live["backupRetentionPeriod"] >= 7
    assert rehearsal["multiAz"] is False
    assert rehearsal["deletionProtection"] is False


def test_redis_is_private_encrypted_and_fails_over_by_itself(stack: BuiltStack) -> None:
    redis = stack.one(REDIS).inputs
    assert redis["atRestEncryptionEnabled"] is True
    assert redis["transitEncryptionEnabled"] is True
    assert redis["authToken"], "AUTH on top of TLS"
    assert redis["automaticFailoverEnabled"] is True
    assert redis["multiAzEnabled"] is True
    assert redis["numCacheClusters"] >= 2
    assert redis["clusterMode"] == "disabled", "the bid gate's script spans slots: one shard"
    group = stack.one("aws:elasticache/subnetGroup:SubnetGroup").inputs
    assert sorted(group["subnetIds"]) == sorted(_private_subnets(stack))


def test_the_search_domain_is_in_the_vpc_encrypted_and_authenticates(stack: BuiltStack) -> None:
    domain = stack.one(SEARCH).inputs
    assert set(domain["vpcOptions"]["subnetIds"]) <= set(_private_subnets(stack))
    assert domain["encryptAtRest"]["enabled"] is True
    assert domain["nodeToNodeEncryption"]["enabled"] is True
    assert domain["domainEndpointOptions"]["enforceHttps"] is True
    assert domain["domainEndpointOptions"]["tlsSecurityPolicy"].startswith("Policy-Min-TLS-1-2")
    security = domain["advancedSecurityOptions"]
    assert security["enabled"] is True
    assert security["anonymousAuthEnabled"] is False
    assert domain["engineVersion"].startswith("OpenSearch_")


def test_production_spreads_the_search_domain_over_both_zones(dev: BuiltStack, prod: BuiltStack) -> None:
    cluster = prod.one(SEARCH).inputs["clusterConfig"]
    assert cluster["zoneAwarenessEnabled"] is True
    assert cluster["instanceCount"] >= 2
    assert len(prod.one(SEARCH).inputs["vpcOptions"]["subnetIds"]) == 2
    assert dev.one(SEARCH).inputs["clusterConfig"]["zoneAwarenessEnabled"] is False


def test_the_image_bucket_is_private_and_read_only_through_cloudfront(stack: BuiltStack) -> None:
    block = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for switch in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[switch] is True, switch
    ownership = stack.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    encryption = stack.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in {
        "AES256",
        "aws:kms",
    }

    policy = json.loads(stack.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    distribution = arn("aws:cloudfront/distribution:Distribution", "images")
    assert allows == [
        {
            "Sid": "CloudFrontReadsPhotos",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": arn(BUCKET, "images") + "/lots/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution}},
        }
    ]
    denies = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_cloudfront_signs_its_reads_and_serves_https_only(stack: BuiltStack) -> None:
    control = stack.one("aws:cloudfront/originAccessControl:OriginAccessControl").inputs
    assert (
        control["signingBehavior"],
        control["signingProtocol"],
        control["originAccessControlOriginType"],
    ) == (
        "always",
        "sigv4",
        "s3",
    )
    distribution = stack.one("aws:cloudfront/distribution:Distribution").inputs
    [origin] = distribution["origins"]
    assert origin["originAccessControlId"] == resource_id(
        "aws:cloudfront/originAccessControl:OriginAccessControl", "images"
    )
    assert origin["domainName"].endswith(".s3.ap-northeast-2.amazonaws.com"), (
        "the bucket, not a website endpoint"
    )
    assert distribution["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["defaultCacheBehavior"]["allowedMethods"] == ["GET", "HEAD"]
    assert distribution["aliases"] == [f"images.{stack.config.domain}"]
    certificate = next(
        c
        for c in stack.all("aws:acm/certificate:Certificate")
        if c.inputs["domainName"].startswith("images.")
    )
    assert certificate.inputs["region"] == "us-east-1", "CloudFront reads certificates from us-east-1 only"


def test_browsers_may_upload_photos_only_from_the_sites_origins(stack: BuiltStack) -> None:
    [rule] = stack.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration").inputs["corsRules"]
    assert rule["allowedMethods"] == ["POST"], "the presigned upload is a POST; nothing else crosses origins"
    assert rule["allowedOrigins"] == [f"https://{stack.config.domain}", *stack.config.cors_origins]


def test_queues_and_registries_are_encrypted_too(stack: BuiltStack) -> None:
    for queue in stack.all("aws:sqs/queue:Queue"):
        assert queue.inputs["sqsManagedSseEnabled"] is True, queue.name
    for repository in stack.all("aws:ecr/repository:Repository"):
        assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}], (
            repository.name
        )
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
