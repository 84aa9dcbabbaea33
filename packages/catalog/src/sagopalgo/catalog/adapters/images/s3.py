"""Lot photos in S3: the browser uploads straight to the bucket with a presigned POST.

The API never carries image bytes. It signs a POST policy binding the exact key, the exact
``Content-Type`` and a size range; S3 enforces that policy when the browser posts the form. Later the
service looks at what actually arrived (size and first bytes) before a lot may use it, because a
policy says nothing about the bytes themselves, and S3-compatible servers may not enforce it at all.

boto3 is synchronous, so every call runs in a worker thread; an unreachable or failing S3 becomes the
kernel's ``Unavailable`` (a 503 the client may retry), never a 500.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from sagopalgo.catalog.domain.images import StoredObject
from sagopalgo.catalog.ports import PresignedUpload
from sagopalgo.kernel.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

__all__ = ["S3ImageStore", "s3_client"]

_P = ParamSpec("_P")
_T = TypeVar("_T")
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_UNREACHABLE = "Image storage is unreachable."
_DELETE_BATCH = 1_000
"""S3's DeleteObjects takes at most a thousand keys."""


def s3_client(
    region: str,
    endpoint_url: str | None = None,
    *,
    timeout_seconds: float = 5.0,
    max_attempts: int = 3,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> S3Client:
    """A boto3 S3 client that fails fast instead of hanging a request on a slow or absent S3.

    Path-style addressing is used with an ``endpoint_url`` because local S3-compatible servers are
    reached by IP or a single host name, where virtual-hosted buckets (``bucket.host``) do not resolve.
    Credentials come from the usual boto3 chain unless given (tests pass dummy ones).

    Args:
        region: The bucket's region (signatures are scoped to it).
        endpoint_url: An S3-compatible server's URL; ``None`` means AWS.
        timeout_seconds: Connect and read timeout of every attempt.
        max_attempts: Attempts per call, first one included (botocore's "standard" retry mode).
        access_key_id: Explicit access key; ``None`` lets boto3 find one.
        secret_access_key: Explicit secret key, with ``access_key_id``.
    """
    config = Config(
        region_name=region,
        signature_version="s3v4",
        connect_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
        retries={"mode": "standard", "max_attempts": max_attempts},
        s3={"addressing_style": "path"} if endpoint_url else None,
    )
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=config,
    )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_server_side(exc: ClientError) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return int(status) >= 500


class S3ImageStore:
    """``ImageStore`` on one S3 bucket (or an S3-compatible server)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_at: datetime
    ) -> PresignedUpload:
        """Sign a POST policy for exactly this key, this content type and 1..``max_bytes`` bytes.

        S3 checks the policy's expiry against its own clock, so the lifetime is measured from the
        real now; it is at least one second so a late call still yields a well-formed policy.
        """
        expires_in = max(1, math.ceil((expires_at - datetime.now(UTC)).total_seconds()))
        conditions: list[Any] = [
            {"key": key},
            {"Content-Type": content_type},
            ["content-length-range", 1, max_bytes],
        ]
        signed = await self._call(
            self._client.generate_presigned_post,
            Bucket=self._bucket,
            Key=key,
            Fields={"key": key, "Content-Type": content_type},
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        return PresignedUpload(
            url=str(signed["url"]), fields={k: str(v) for k, v in signed["fields"].items()}
        )

    async def inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        """Size and first bytes of the object, ``None`` when nothing was uploaded under the key."""
        return await self._call(self._inspect, key, head_bytes)

    def _inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        try:
            meta = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING:
                return None
            raise
        size = int(meta["ContentLength"])
        if size == 0 or head_bytes <= 0:
            # A range over an empty object is unsatisfiable (416); there are no bytes to read anyway.
            return StoredObject(size=size, head=b"")
        try:
            got = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{head_bytes - 1}")
        except ClientError as exc:
            if _error_code(exc) in _MISSING:  # deleted between the two calls
                return None
            raise
        body = got["Body"]
        try:
            head = body.read(head_bytes)
        finally:
            body.close()
        # The total in Content-Range ("bytes 0-15/1234") describes the very object these bytes came
        # from, even if it was replaced after the HEAD; prefer it to the HEAD's length.
        content_range = str(got.get("ContentRange") or "")
        total = content_range.rpartition("/")[2]
        if total.isdigit():
            size = int(total)
        return StoredObject(size=size, head=head)

    async def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), _DELETE_BATCH):
            chunk = keys[start : start + _DELETE_BATCH]
            batch: list[ObjectIdentifierTypeDef] = [{"Key": key} for key in chunk]
            answer = await self._call(
                self._client.delete_objects, Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True}
            )
            failed = answer.get("Errors") or []
            if failed:  # S3 deletes a missing key without complaint: these are real failures
                raise Unavailable(f"Image storage kept {len(failed)} objects it was asked to delete.")

    @staticmethod
    async def _call(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run a blocking boto3 call in a thread; an S3 that cannot answer becomes ``Unavailable``."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (BotoConnectionError, HTTPClientError) as exc:
            raise Unavailable(_UNREACHABLE) from exc
        except ClientError as exc:
            if _is_server_side(exc):
                raise Unavailable(_UNREACHABLE) from exc
            raise
