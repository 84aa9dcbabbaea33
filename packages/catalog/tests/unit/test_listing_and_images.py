"""Listing text, photo keys, categories and the checks an uploaded object must pass."""

from datetime import UTC, datetime

import pytest

from sagopalgo.catalog.domain.category import category_key, category_name
from sagopalgo.catalog.domain.errors import ImageContentInvalid, ImageKeyInvalid
from sagopalgo.catalog.domain.images import (
    ImageUpload,
    StoredObject,
    check_upload_request,
    sniff,
    upload_key,
)
from sagopalgo.catalog.domain.lot import MAX_IMAGES, Listing, check_image_keys
from sagopalgo.kernel.errors import Invalid, TooLarge, UnsupportedMedia

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "


@pytest.mark.parametrize(
    ("head", "kind"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (b"<html><body>", None), (b"", None)],
)
def test_sniff_reads_the_magic_numbers(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_upload_requests_are_bounded_by_type_and_size() -> None:
    assert check_upload_request("image/PNG; charset=x", 10, max_bytes=100) == "image/png"
    with pytest.raises(UnsupportedMedia):
        check_upload_request("text/html", 10, max_bytes=100)
    with pytest.raises(UnsupportedMedia):
        check_upload_request("image/svg+xml", 10, max_bytes=100)
    with pytest.raises(TooLarge):
        check_upload_request("image/png", 101, max_bytes=100)
    with pytest.raises(Invalid):
        check_upload_request("image/png", 0, max_bytes=100)


def upload(owner: int = 7, kind: str = "image/png", max_bytes: int = 100) -> ImageUpload:
    return ImageUpload(upload_key(owner, "a" * 32, kind), owner, kind, max_bytes, NOW, NOW)


def test_keys_live_under_the_owners_prefix() -> None:
    assert upload().key == f"lots/7/{'a' * 32}.png"


def test_only_the_uploader_may_use_an_upload_and_only_for_one_lot() -> None:
    item = upload()
    item.check_usable_by(7)
    with pytest.raises(ImageKeyInvalid):
        item.check_usable_by(8)
    item.lot_id = 3
    item.check_usable_by(7, for_lot=3)
    with pytest.raises(ImageKeyInvalid):
        item.check_usable_by(7, for_lot=4)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        StoredObject(0, b""),
        StoredObject(101, PNG),
        StoredObject(50, b"<!doctype html>"),
        StoredObject(50, JPEG),
    ],
    ids=["missing", "empty", "too-large", "html-as-png", "jpeg-as-png"],
)
def test_an_object_that_is_not_what_was_promised_is_refused(stored: StoredObject | None) -> None:
    item = upload()
    with pytest.raises(ImageContentInvalid):
        item.verify(stored, NOW)
    assert item.verified_at is None


def test_a_real_png_within_bounds_is_verified_once() -> None:
    item = upload()
    item.verify(StoredObject(100, PNG), NOW)
    assert item.verified_at == NOW


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": " ", "description": "", "category_id": 1}, "title"),
        ({"title": "x" * 101, "description": "", "category_id": 1}, "title"),
        ({"title": "a\x00b", "description": "", "category_id": 1}, "title"),
        ({"title": "ok", "description": "x" * 5001, "category_id": 1}, "description"),
        ({"title": "ok", "description": "bell\x07", "category_id": 1}, "description"),
    ],
)
def test_listing_text_is_bounded_and_printable(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as info:
        Listing.of(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_listing_text_is_trimmed_and_keeps_line_breaks_in_descriptions() -> None:
    listing = Listing.of(title="  백자  ", description="첫 줄\n둘째 줄", category_id=1)
    assert (listing.title, listing.description) == ("백자", "첫 줄\n둘째 줄")


def test_a_lot_has_one_to_ten_distinct_photos() -> None:
    assert check_image_keys(["a"]) == ("a",)
    for bad in ([], [str(i) for i in range(MAX_IMAGES + 1)], ["a", "a"]):
        with pytest.raises(Invalid):
            check_image_keys(bad)


def test_category_names_are_trimmed_and_compared_without_case() -> None:
    assert category_name("  Fine   Art ") == "Fine Art"
    assert category_key("FINE art") == category_key("fine ART")
    with pytest.raises(Invalid):
        category_name("   ")
    with pytest.raises(Invalid):
        category_name("x" * 51)
