"""Fixtures for the composed services: the API app on a chosen deployment, driven over HTTP."""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sagopalgo.api.app import create_app
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.platform.settings import Settings, load_settings
from sagopalgo.testing.plugin import MOTO_ACCESS_KEY, MOTO_SECRET_KEY, moto_client
from sagopalgo.testing.procs import LOAD_LIMIT_SETTINGS

JWT_SECRET = "integration-test-secret-0123456789-abcdef"

ApiFactory = Callable[..., AbstractAsyncContextManager[AsyncTestClient[Any]]]


@pytest.fixture(
    params=[
        pytest.param("embedded", id="embedded"),
        pytest.param("mariadb+redis", id="mariadb+redis", marks=pytest.mark.integration),
    ]
)
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The two deployments every API test runs on.

    Embedded: SQLite, in-process stores, photos on local disk. Production-like: MariaDB, Redis, and
    photos in S3 (moto's server over HTTP), served from a "CDN" base URL pointing at the bucket.
    """
    if request.param == "embedded":
        return {"database_url": request.getfixturevalue("sqlite_url"), "media_dir": str(tmp_path / "media")}
    return production_like(request, monkeypatch)


def production_like(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The settings of the production-like deployment (MariaDB, Redis, S3 on moto)."""
    s3_url, bucket = request.getfixturevalue("moto_s3_url"), request.getfixturevalue("s3_bucket")
    # The S3 adapter takes credentials from boto3's usual chain, as on ECS; moto accepts any.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", MOTO_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", MOTO_SECRET_KEY)
    _let_the_cdn_read(s3_url, bucket)
    return {
        "database_url": request.getfixturevalue("mariadb_url"),
        "redis_url": request.getfixturevalue("redis_url"),
        "redis_prefix": request.getfixturevalue("redis_prefix"),
        "s3_bucket": bucket,
        "s3_endpoint_url": s3_url,
        "cdn_base_url": f"{s3_url}/{bucket}",
    }


def _let_the_cdn_read(s3_url: str, bucket: str) -> None:
    """Stand in for CloudFront's origin access: the "CDN" base URL reads objects anonymously."""
    client = moto_client(s3_url)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    client.close()


def api_settings(deployment: dict[str, Any], **overrides: Any) -> Settings:
    """The API's settings in tests: the deployment's, with the defaults every API test shares."""
    return load_settings(
        {},
        **{
            "jwt_secret": JWT_SECRET,
            # Tests drive load from one address with one clock that rarely moves; the limits' own
            # tests set theirs.
            **LOAD_LIMIT_SETTINGS,
            # Tests move lots through the day themselves; the schedule's own tests turn it on.
            "schedule": "off",
            # Payment tests reconcile when they mean to (a background pass would race them).
            "payment_reconcile_seconds": 0,
            **deployment,
            **overrides,
        },
    )


@pytest.fixture
def api_factory(deployment: dict[str, Any], clock: ManualClock) -> ApiFactory:
    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[AsyncTestClient[Any]]:
        settings = api_settings(deployment, **overrides)
        async with AsyncTestClient(app=create_app(settings, clock=clock)) as client:
            yield client

    return make


@pytest.fixture
async def api(api_factory: ApiFactory) -> AsyncIterator[AsyncTestClient[Any]]:
    async with api_factory() as client:
        yield client
