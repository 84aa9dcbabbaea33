"""Catalog refusals with the stable codes of API.md."""

from __future__ import annotations

from sagopalgo.kernel.errors import Conflict, Rejected

__all__ = [
    "CategoryExists",
    "CategoryInUse",
    "ImageContentInvalid",
    "ImageKeyInvalid",
    "LotLocked",
    "LotStateConflict",
]


class LotLocked(Conflict):
    """The lot has opened (or ended): its listing can no longer be edited or withdrawn."""

    code = "LOT_LOCKED"


class LotStateConflict(Conflict):
    """The requested transition does not start from the lot's current state."""

    code = "LOT_STATE_CONFLICT"


class CategoryExists(Conflict):
    code = "CATEGORY_EXISTS"


class CategoryInUse(Conflict):
    """Lots still name the category; deleting it would orphan them."""

    code = "CATEGORY_IN_USE"


class ImageKeyInvalid(Rejected):
    """The key is not one of the caller's uploads, has expired, or already belongs to another lot."""

    code = "IMAGE_KEY_INVALID"


class ImageContentInvalid(Rejected):
    """The uploaded object is missing, too large, or not the image type that was promised."""

    code = "IMAGE_CONTENT_INVALID"
