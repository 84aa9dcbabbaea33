"""Lot photos on the local disk, for the embedded one-command run without S3.

It mimics S3's presigned POST so the browser and the service do exactly what they do in production:
the API signs a policy (key, content type, size bound, expiry) with an HMAC, the browser posts the
form with the file to this deployment's own upload endpoint, and :meth:`LocalImageStore.receive`
enforces the policy the way S3 would. The signature is the only authorisation, as with S3, so the
endpoint needs no access token and a policy cannot be stretched to another key, type or size.

Keys come from our own code (``lots/<user id>/<32 hex>.<ext>``); anything else is refused before it
can name a path, so no key reaches outside the media root.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from sagopalgo.catalog.domain.images import ALLOWED_TYPES, StoredObject
from sagopalgo.catalog.ports import PresignedUpload
from sagopalgo.kernel.errors import Forbidden, Invalid, TooLarge

__all__ = ["POLICY_VIOLATED", "LocalImageStore", "media_type_for"]

POLICY_VIOLATED = "UPLOAD_POLICY_VIOLATED"
"""The ``code`` of every refusal of a forged, altered or expired upload form."""

_MEDIA_TYPES = {ext: media_type for media_type, ext in ALLOWED_TYPES.items()}
_KEY = re.compile(rf"lots/[0-9]{{1,19}}/[0-9a-f]{{32}}\.(?:{'|'.join(map(re.escape, _MEDIA_TYPES))})")
_DECIMAL = re.compile(r"[0-9]{1,20}")
_SIGNED_FIELDS = ("key", "Content-Type", "expires", "max_bytes")
_CONTEXT = "sagopalgo-local-upload-v1"
"""Prefixes the signed string so a signature made here means nothing anywhere else the secret is used."""


def media_type_for(key: str) -> str | None:
    """The image type a valid key's extension stands for (what ``/media`` serves it as)."""
    if not _KEY.fullmatch(key):
        return None
    return _MEDIA_TYPES[key.rsplit(".", 1)[1]]


class LocalImageStore:
    """``ImageStore`` on a directory, with an S3-like signed-form upload endpoint.

    Args:
        root: The media directory (created on first upload).
        upload_url: Absolute URL of the upload endpoint the browser posts the form to.
        secret: HMAC key of the upload policies; uploads signed with another key are refused.
    """

    def __init__(self, root: Path, upload_url: str, secret: bytes) -> None:
        if not secret:
            raise ValueError("the upload signing secret must not be empty")
        self._root = root.resolve()
        self._upload_url = upload_url
        self._secret = secret

    async def presign_upload(
        self, key: str, *, content_type: str, max_bytes: int, expires_at: datetime
    ) -> PresignedUpload:
        """Sign the form fields binding the key, the content type, the size bound and the expiry.

        Raises:
            ValueError: The key is not one of ours (a bug in the caller, never the client's input).
        """
        if self.path_for(key) is None:
            raise ValueError(f"not an image key: {key!r}")
        fields = {
            "key": key,
            "Content-Type": content_type,
            "expires": str(int(expires_at.timestamp())),
            "max_bytes": str(max_bytes),
        }
        signature = self._sign(fields)
        if signature is None:  # pragma: no cover - our own fields are always well formed
            raise ValueError("unsignable upload fields")
        return PresignedUpload(url=self._upload_url, fields={**fields, "signature": signature})

    async def receive(self, fields: Mapping[str, str], data: bytes, now: datetime) -> None:
        """Store an uploaded file if its form is one we signed, unexpired, and the file fits.

        Nothing is written unless every check passes, and the file appears whole or not at all.

        Args:
            fields: The form fields the browser posted (as presigned), without the file.
            data: The file's bytes.
            now: The current instant, from the application's clock.

        Raises:
            Forbidden: ``UPLOAD_POLICY_VIOLATED`` when the signature is missing or wrong (any signed
                field altered), the key is not an image key, or the policy has expired.
            TooLarge: The file is larger than the policy allows.
            Invalid: The file is empty.
        """
        expected = self._sign(fields)
        given = fields.get("signature", "")
        if expected is None or not hmac.compare_digest(expected.encode(), given.encode()):
            raise Forbidden("The upload form's signature is missing or invalid.", code=POLICY_VIOLATED)
        target = self.path_for(fields["key"])
        if target is None:
            raise Forbidden("The upload key is not an image key.", code=POLICY_VIOLATED)
        if now.timestamp() >= int(fields["expires"]):
            raise Forbidden("The upload form has expired; request a new one.", code=POLICY_VIOLATED)
        max_bytes = int(fields["max_bytes"])
        if not data:
            raise Invalid("The uploaded file is empty.", field="file")
        if len(data) > max_bytes:
            raise TooLarge(f"An image may be at most {max_bytes} bytes.", extra={"maxBytes": max_bytes})
        await asyncio.to_thread(_write_atomically, target, data)

    async def inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        """Size and first bytes of the stored file, ``None`` if there is none (or the key is not ours)."""
        path = self.path_for(key)
        if path is None:
            return None
        return await asyncio.to_thread(_read_head, path, head_bytes)

    async def delete(self, keys: Sequence[str]) -> None:
        paths = [path for path in map(self.path_for, keys) if path is not None]
        if paths:
            await asyncio.to_thread(_unlink, paths)

    def path_for(self, key: str) -> Path | None:
        """Where the key's file lives under the root, ``None`` for anything but an image key.

        The shape check alone keeps keys inside the root; the containment check guards against a
        future loosening of the shape (or a symlink planted under the root).
        """
        if media_type_for(key) is None:
            return None
        path = (self._root / key).resolve()
        return path if path.is_relative_to(self._root) else None

    def _sign(self, fields: Mapping[str, str]) -> str | None:
        """The hex HMAC of the signed fields, ``None`` if one is missing or could blur the boundaries.

        A field containing the separator could move text from one field into its neighbour and keep
        the signed string unchanged; the numbers must be plain decimals for the same reason.
        """
        values = [fields.get(name) for name in _SIGNED_FIELDS]
        if any(value is None or "|" in value for value in values):
            return None
        if not all(_DECIMAL.fullmatch(str(value)) for value in values[2:]):
            return None
        message = "|".join([_CONTEXT, *(str(value) for value in values)])
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()


def _write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: readers never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o644)  # mkstemp's 0600 would hide it from a proxy serving the root
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            path.unlink()


def _read_head(path: Path, head_bytes: int) -> StoredObject | None:
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            head = file.read(max(0, head_bytes))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return StoredObject(size=size, head=head)
