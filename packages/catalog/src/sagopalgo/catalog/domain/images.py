"""Lot photos: what may be uploaded, and how an uploaded object is checked before a lot uses it.

The presigned POST's policy binds key, content type and size, but an S3-compatible server is not
obliged to enforce it (moto does not), and the client chooses the bytes: so the server looks at the
stored object itself, its size and its first bytes, before a lot may reference it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sagopalgo.catalog.domain.errors import ImageContentInvalid, ImageKeyInvalid
from sagopalgo.kernel.errors import Invalid, TooLarge, UnsupportedMedia

__all__ = [
    "ALLOWED_TYPES",
    "SNIFF_BYTES",
    "ImageUpload",
    "StoredObject",
    "check_upload_request",
    "sniff",
    "upload_key",
]

ALLOWED_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
SNIFF_BYTES = 16
"""How many leading bytes decide an image's type."""


def sniff(head: bytes) -> str | None:
    """The image type the leading bytes announce (magic numbers), or ``None``."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload_request(content_type: str, size: int, *, max_bytes: int) -> str:
    """Refuse what can never become a lot photo before any URL is signed; returns the type."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ALLOWED_TYPES:
        raise UnsupportedMedia(
            f"Only {', '.join(sorted(ALLOWED_TYPES))} can be uploaded.",
            extra={"allowed": sorted(ALLOWED_TYPES)},
        )
    if size < 1:
        raise Invalid("size must be at least 1 byte.", field="size")
    if size > max_bytes:
        raise TooLarge(f"An image may be at most {max_bytes} bytes.", extra={"maxBytes": max_bytes})
    return kind


def upload_key(owner_id: int, token: str, content_type: str) -> str:
    """Keys live under the owner's prefix so a policy (and a reviewer) sees whose they are."""
    return f"lots/{owner_id}/{token}.{ALLOWED_TYPES[content_type]}"


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the object store holds under a key: its size and its first bytes."""

    size: int
    head: bytes


@dataclass(slots=True)
class ImageUpload:
    """A signed upload slot: who may fill it, with what, until when; and the lot that uses it."""

    key: str
    owner_id: int
    content_type: str
    max_bytes: int
    created_at: datetime
    expires_at: datetime
    lot_id: int | None = None
    verified_at: datetime | None = None

    def check_usable_by(self, user_id: int, *, for_lot: int | None = None) -> None:
        """Only the uploader may attach it, and to one lot only."""
        if self.owner_id != user_id:
            raise ImageKeyInvalid("This image was not uploaded by you.", extra={"key": self.key})
        if self.lot_id is not None and self.lot_id != for_lot:
            raise ImageKeyInvalid("This image already belongs to another lot.", extra={"key": self.key})

    def verify(self, stored: StoredObject | None, now: datetime) -> None:
        """The object must exist, fit the promised size and start like the promised image type."""
        if self.verified_at is not None:
            return
        if stored is None:
            raise ImageContentInvalid("Nothing was uploaded under this key.", extra={"key": self.key})
        if not 1 <= stored.size <= self.max_bytes:
            raise ImageContentInvalid(
                f"The uploaded file is {stored.size} bytes; at most {self.max_bytes} were allowed.",
                extra={"key": self.key},
            )
        found = sniff(stored.head)
        if found != self.content_type:
            raise ImageContentInvalid(
                f"The uploaded file is not a {self.content_type} image.", extra={"key": self.key}
            )
        self.verified_at = now
