"""The ``ImageStore`` contract on both stores: local files, and S3 (a moto server spoken to over HTTP).

Each case performs the browser's step for real: for S3 the presigned form is POSTed with httpx to the
URL the store signed; for the local store the form goes through ``LocalImageStore.receive`` (and, in
the route tests, through the Litestar endpoint).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sagopalgo.catalog.adapters.http.media import MediaController
from sagopalgo.catalog.adapters.images.local import LocalImageStore
from sagopalgo.catalog.adapters.images.s3 import S3ImageStore, s3_client
from sagopalgo.catalog.domain.images import SNIFF_BYTES, StoredObject, sniff, upload_key
from sagopalgo.catalog.ports import ImageStore, PresignedUpload
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.kernel.errors import Forbidden, Invalid, TooLarge, Unavailable
from sagopalgo.platform.http.problems import exception_handlers
from sagopalgo.testing.plugin import MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY

SECRET = b"local-upload-secret-for-tests-0123456789"
UPLOAD_URL = "http://testserver.local/api/v1/uploads/local"
MAX_BYTES = 64 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
HTML = b"<!doctype html><html><body><script>alert('not an image')</script></body></html>"


def _key(owner: int = 7, content_type: str = "image/png") -> str:
    return upload_key(owner, secrets.token_hex(16), content_type)


@dataclass
class Harness:
    """A store plus how its browser step is done and which clock its policies are measured by."""

    kind: str
    store: ImageStore
    expires_at: Callable[[], datetime]
    post_form: Callable[[PresignedUpload, bytes], Awaitable[None]]

    async def presign(self, key: str, content_type: str = "image/png") -> PresignedUpload:
        return await self.store.presign_upload(
            key, content_type=content_type, max_bytes=MAX_BYTES, expires_at=self.expires_at()
        )

    async def upload(self, key: str, data: bytes, content_type: str = "image/png") -> None:
        await self.post_form(await self.presign(key, content_type), data)


def _local_harness(root: Path, clock: ManualClock) -> Harness:
    store = LocalImageStore(root, UPLOAD_URL, SECRET)

    async def post_form(presigned: PresignedUpload, data: bytes) -> None:
        await store.receive(presigned.fields, data, clock.now())

    return Harness("local", store, lambda: clock.now() + timedelta(minutes=10), post_form)


def _s3_harness(endpoint: str, bucket: str) -> Harness:
    client = s3_client(
        MOTO_REGION, endpoint, access_key_id=MOTO_ACCESS_KEY, secret_access_key=MOTO_SECRET_KEY
    )
    store = S3ImageStore(client, bucket)

    async def post_form(presigned: PresignedUpload, data: bytes) -> None:
        # What the browser does: the policy's fields first, the file last, to the signed URL.
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(
                presigned.url,
                data=dict(presigned.fields),
                files={"file": ("upload.bin", data, "application/octet-stream")},
            )
        assert response.status_code == 204, response.text

    # S3 measures the policy's expiry by its own (the real) clock.
    return Harness("s3", store, lambda: datetime.now(UTC) + timedelta(minutes=10), post_form)


@pytest.fixture(params=["local", "s3"])
def harness(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Harness:
    if request.param == "local":
        return _local_harness(tmp_path / "media", clock)
    # Looked up lazily so the local cases never start a moto server.
    return _s3_harness(request.getfixturevalue("moto_s3_url"), request.getfixturevalue("s3_bucket"))


# ------------------------------------------------------------------ the contract, on both stores
async def test_uploaded_png_inspects_to_its_exact_size_and_first_bytes(harness: Harness) -> None:
    key = _key()
    await harness.upload(key, PNG)

    stored = await harness.store.inspect(key, SNIFF_BYTES)

    assert stored == StoredObject(size=len(PNG), head=PNG[:SNIFF_BYTES])
    assert sniff(stored.head) == "image/png"


async def test_asking_for_more_head_than_the_object_has_returns_the_whole_object(harness: Harness) -> None:
    key = _key()
    await harness.upload(key, PNG[:10])

    assert await harness.store.inspect(key, 4096) == StoredObject(size=10, head=PNG[:10])


async def test_nothing_uploaded_inspects_to_none(harness: Harness) -> None:
    key = _key()
    await harness.presign(key)  # signing alone stores nothing

    assert await harness.store.inspect(key, SNIFF_BYTES) is None


async def test_html_under_an_image_png_policy_is_stored_but_does_not_sniff_as_png(harness: Harness) -> None:
    key = _key()
    await harness.upload(key, HTML, "image/png")

    stored = await harness.store.inspect(key, SNIFF_BYTES)

    assert stored is not None
    assert stored.size == len(HTML)
    assert stored.head == HTML[:SNIFF_BYTES]
    assert sniff(stored.head) != "image/png"


async def test_a_second_upload_under_the_same_key_replaces_the_first(harness: Harness) -> None:
    key = _key()
    await harness.upload(key, HTML)
    await harness.upload(key, PNG)

    assert await harness.store.inspect(key, SNIFF_BYTES) == StoredObject(len(PNG), PNG[:SNIFF_BYTES])


async def test_deleted_objects_are_gone_and_deleting_what_is_not_there_is_fine(harness: Harness) -> None:
    kept, dropped, never = _key(), _key(), _key()
    await harness.upload(kept, PNG)
    await harness.upload(dropped, PNG)

    await harness.store.delete([dropped, never])
    await harness.store.delete([dropped])

    assert await harness.store.inspect(dropped, SNIFF_BYTES) is None
    assert await harness.store.inspect(kept, SNIFF_BYTES) == StoredObject(len(PNG), PNG[:SNIFF_BYTES])
    await harness.store.delete([])


async def test_presigned_fields_carry_the_exact_key_and_content_type(harness: Harness) -> None:
    key = _key(content_type="image/webp")

    presigned = await harness.presign(key, "image/webp")

    assert presigned.fields["key"] == key
    assert presigned.fields["Content-Type"] == "image/webp"
    assert presigned.url.startswith("http")


# ------------------------------------------------------------------ S3 only
async def test_s3_policy_binds_exact_key_type_and_size_range(moto_s3_url: str, s3_bucket: str) -> None:
    harness = _s3_harness(moto_s3_url, s3_bucket)
    key = _key()

    presigned = await harness.presign(key)

    # Path-style addressing: a local S3-compatible server has no per-bucket host names.
    assert presigned.url == f"{moto_s3_url}/{s3_bucket}"
    policy = json.loads(base64.b64decode(presigned.fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": key} in conditions
    assert {"bucket": s3_bucket} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, MAX_BYTES] in conditions
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10, seconds=1)


async def test_s3_policy_of_an_already_past_expiry_still_lives_one_second(
    moto_s3_url: str, s3_bucket: str
) -> None:
    store = _s3_harness(moto_s3_url, s3_bucket).store
    presigned = await store.presign_upload(
        _key(),
        content_type="image/png",
        max_bytes=MAX_BYTES,
        expires_at=datetime.now(UTC) - timedelta(hours=1),
    )

    policy = json.loads(base64.b64decode(presigned.fields["policy"]))
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert expires - datetime.now(UTC) <= timedelta(seconds=2)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_s3_unreachable_is_unavailable_quickly() -> None:
    client = s3_client(
        MOTO_REGION,
        f"http://127.0.0.1:{_closed_port()}",
        timeout_seconds=0.5,
        max_attempts=1,
        access_key_id=MOTO_ACCESS_KEY,
        secret_access_key=MOTO_SECRET_KEY,
    )
    store = S3ImageStore(client, "nowhere")
    started = time.monotonic()

    with pytest.raises(Unavailable) as caught:
        await store.inspect(_key(), SNIFF_BYTES)

    assert time.monotonic() - started < 3
    assert caught.value.code == "UNAVAILABLE"
    assert caught.value.message == "Image storage is unreachable."


# ------------------------------------------------------------------ local only
@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def local(media_root: Path) -> LocalImageStore:
    return LocalImageStore(media_root, UPLOAD_URL, SECRET)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _forge(fields: dict[str, str]) -> str:
    """The documented recipe: HMAC-SHA256 over the context and the signed fields joined by ``|``."""
    message = "|".join(
        [
            "sagopalgo-local-upload-v1",
            fields["key"],
            fields["Content-Type"],
            fields["expires"],
            fields["max_bytes"],
        ]
    )
    return hmac.new(SECRET, message.encode(), hashlib.sha256).hexdigest()


async def _presign(local: LocalImageStore, clock: ManualClock, key: str | None = None) -> dict[str, str]:
    presigned = await local.presign_upload(
        key or _key(),
        content_type="image/png",
        max_bytes=MAX_BYTES,
        expires_at=clock.now() + timedelta(minutes=10),
    )
    assert presigned.url == UPLOAD_URL
    return dict(presigned.fields)


async def test_local_fields_are_the_policy_and_its_signature(
    local: LocalImageStore, clock: ManualClock
) -> None:
    key = _key()

    fields = await _presign(local, clock, key)

    assert fields == {
        "key": key,
        "Content-Type": "image/png",
        "expires": str(int((clock.now() + timedelta(minutes=10)).timestamp())),
        "max_bytes": str(MAX_BYTES),
        "signature": _forge(fields),
    }


async def test_local_upload_lands_at_the_key_path_and_leaves_no_temporary_file(
    local: LocalImageStore, clock: ManualClock, media_root: Path
) -> None:
    fields = await _presign(local, clock)

    await local.receive(fields, PNG, clock.now())

    path = local.path_for(fields["key"])
    assert path == (media_root / fields["key"]).resolve()
    assert _files(media_root) == [path]
    assert path.read_bytes() == PNG


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("signature", "0" * 64, id="signature"),
        pytest.param("Content-Type", "image/jpeg", id="content-type"),
        pytest.param("max_bytes", str(MAX_BYTES * 100), id="max-bytes"),
        pytest.param("expires", "9999999999", id="expires"),
        pytest.param("key", upload_key(8, "a" * 32, "image/png"), id="key"),
        pytest.param("Content-Type", "image/png|x", id="separator-in-field"),
    ],
)
async def test_local_tampered_form_is_forbidden_and_writes_nothing(
    local: LocalImageStore, clock: ManualClock, media_root: Path, field: str, value: str
) -> None:
    fields = await _presign(local, clock)
    fields[field] = value

    with pytest.raises(Forbidden) as caught:
        await local.receive(fields, PNG, clock.now())

    assert caught.value.code == "UPLOAD_POLICY_VIOLATED"
    assert _files(media_root) == []


@pytest.mark.parametrize("missing", ["signature", "key", "Content-Type", "expires", "max_bytes"])
async def test_local_form_missing_a_signed_field_is_forbidden(
    local: LocalImageStore, clock: ManualClock, media_root: Path, missing: str
) -> None:
    fields = await _presign(local, clock)
    del fields[missing]

    with pytest.raises(Forbidden) as caught:
        await local.receive(fields, PNG, clock.now())

    assert caught.value.code == "UPLOAD_POLICY_VIOLATED"
    assert _files(media_root) == []


async def test_local_form_expires_at_its_expiry_instant(
    local: LocalImageStore, clock: ManualClock, media_root: Path
) -> None:
    fields = await _presign(local, clock)
    expiry = clock.now() + timedelta(minutes=10)

    with pytest.raises(Forbidden) as caught:
        await local.receive(fields, PNG, expiry)
    assert caught.value.code == "UPLOAD_POLICY_VIOLATED"
    assert _files(media_root) == []

    await local.receive(fields, PNG, expiry - timedelta(seconds=1))
    assert await local.inspect(fields["key"], SNIFF_BYTES) == StoredObject(len(PNG), PNG[:SNIFF_BYTES])


async def test_local_file_over_max_bytes_is_too_large_and_exactly_max_is_fine(
    local: LocalImageStore, clock: ManualClock, media_root: Path
) -> None:
    fields = await _presign(local, clock)
    biggest = PNG[:8] + bytes(MAX_BYTES - 8)

    with pytest.raises(TooLarge):
        await local.receive(fields, biggest + b"\x00", clock.now())
    assert _files(media_root) == []

    await local.receive(fields, biggest, clock.now())
    assert await local.inspect(fields["key"], SNIFF_BYTES) == StoredObject(MAX_BYTES, biggest[:SNIFF_BYTES])


async def test_local_empty_file_is_refused(
    local: LocalImageStore, clock: ManualClock, media_root: Path
) -> None:
    fields = await _presign(local, clock)

    with pytest.raises(Invalid):
        await local.receive(fields, b"", clock.now())
    assert _files(media_root) == []


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/x",
        "lots/1/../../x",
        f"lots/1/../../{'a' * 32}.png",
        f"lots/1/{'a' * 32}.png/../../../x",
        f"/lots/1/{'a' * 32}.png",
        f"lots/1/{'A' * 32}.png",
        f"lots/1/{'a' * 32}.html",
        f"lots/x/{'a' * 32}.png",
        f"lots/1/{'a' * 32}.png\x00",
        "",
    ],
)
async def test_local_refuses_keys_that_are_not_image_keys(
    local: LocalImageStore, clock: ManualClock, media_root: Path, key: str
) -> None:
    assert local.path_for(key) is None
    assert await local.inspect(key, SNIFF_BYTES) is None
    with pytest.raises(ValueError, match="not an image key"):
        await local.presign_upload(key, content_type="image/png", max_bytes=MAX_BYTES, expires_at=clock.now())

    # Even a correctly signed form (only a bug of ours could produce one) writes nothing.
    fields = {
        "key": key,
        "Content-Type": "image/png",
        "expires": str(int((clock.now() + timedelta(minutes=1)).timestamp())),
        "max_bytes": str(MAX_BYTES),
    }
    if "|" not in key:
        fields["signature"] = _forge(fields)
    with pytest.raises(Forbidden):
        await local.receive(fields, PNG, clock.now())
    assert _files(media_root.parent) == []


async def test_local_store_signed_with_another_secret_refuses_the_form(
    local: LocalImageStore, clock: ManualClock, media_root: Path
) -> None:
    fields = await _presign(local, clock)
    other = LocalImageStore(media_root, UPLOAD_URL, b"another-secret-another-secret-000000")

    with pytest.raises(Forbidden):
        await other.receive(fields, PNG, clock.now())
    assert _files(media_root) == []


# ------------------------------------------------------------------ the embedded media routes
@pytest.fixture
async def client(local: LocalImageStore, clock: ManualClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = Litestar(route_handlers=[MediaController], exception_handlers=exception_handlers())
    app.state.image_store = local
    app.state.clock = clock
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def _post_form(
    client: AsyncTestClient[Litestar], fields: dict[str, str], data: bytes, part_type: str = "image/png"
) -> httpx.Response:
    return await client.post(
        httpx.URL(UPLOAD_URL).path, data=fields, files={"file": ("photo.png", data, part_type)}
    )


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_route_upload_then_media_serves_the_bytes_as_an_image(
    client: AsyncTestClient[Litestar], local: LocalImageStore, clock: ManualClock
) -> None:
    fields = await _presign(local, clock)

    uploaded = await _post_form(client, fields, PNG, part_type="text/html")  # the signed type decides
    served = await client.get(f"/media/{fields['key']}")

    assert uploaded.status_code == 204, uploaded.text
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline")


async def test_route_bad_signature_is_a_403_problem_and_stores_nothing(
    client: AsyncTestClient[Litestar], local: LocalImageStore, clock: ManualClock, media_root: Path
) -> None:
    fields = await _presign(local, clock)
    fields["signature"] = fields["signature"][::-1]

    response = await _post_form(client, fields, PNG)

    _problem(response, 403, "UPLOAD_POLICY_VIOLATED")
    assert _files(media_root) == []
    _problem(await client.get(f"/media/{fields['key']}"), 404, "NOT_FOUND")


async def test_route_missing_signature_is_a_403_problem(
    client: AsyncTestClient[Litestar], local: LocalImageStore, clock: ManualClock
) -> None:
    fields = await _presign(local, clock)
    del fields["signature"]

    _problem(await _post_form(client, fields, PNG), 403, "UPLOAD_POLICY_VIOLATED")


async def test_route_expired_form_is_a_403_problem(
    client: AsyncTestClient[Litestar], local: LocalImageStore, clock: ManualClock
) -> None:
    fields = await _presign(local, clock)
    clock.advance(timedelta(minutes=10))

    _problem(await _post_form(client, fields, PNG), 403, "UPLOAD_POLICY_VIOLATED")


async def test_route_file_over_the_policy_is_a_413_problem(
    client: AsyncTestClient[Litestar], local: LocalImageStore, clock: ManualClock
) -> None:
    fields = await _presign(local, clock)

    _problem(await _post_form(client, fields, PNG + bytes(MAX_BYTES)), 413, "PAYLOAD_TOO_LARGE")


async def test_route_accepts_a_ten_mebibyte_image(
    client: AsyncTestClient[Litestar], local: LocalImageStore, clock: ManualClock
) -> None:
    ten_mib = 10 * 1024 * 1024
    presigned = await local.presign_upload(
        _key(), content_type="image/png", max_bytes=ten_mib, expires_at=clock.now() + timedelta(minutes=10)
    )
    data = PNG[:8] + os.urandom(ten_mib - 8)

    response = await _post_form(client, dict(presigned.fields), data)

    assert response.status_code == 204, response.text
    assert await local.inspect(presigned.fields["key"], SNIFF_BYTES) == StoredObject(
        ten_mib, data[:SNIFF_BYTES]
    )


@pytest.mark.parametrize(
    "path",
    [
        f"/media/lots/7/{'b' * 32}.png",
        "/media/etc/passwd",
        f"/media/lots/7/{'b' * 32}.txt",
        "/media/lots/7/%2e%2e/%2e%2e/secret.png",
    ],
)
async def test_route_unknown_media_is_a_404_problem(client: AsyncTestClient[Litestar], path: str) -> None:
    _problem(await client.get(path), 404, "NOT_FOUND")
