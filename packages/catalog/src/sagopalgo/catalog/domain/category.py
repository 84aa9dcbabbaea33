"""Categories: a flat, admin-managed list; names are unique ignoring case and spacing."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sagopalgo.kernel.errors import Invalid

__all__ = ["Category", "category_key", "category_name"]

MAX_NAME = 50


def category_name(raw: str) -> str:
    """Trimmed, NFC-normalised (Korean typed on different systems compares equal), 1–50 characters."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if not name:
        raise Invalid("name must not be blank.", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(f"name must be at most {MAX_NAME} characters.", field="name")
    return name


def category_key(name: str) -> str:
    """What uniqueness is judged on: ``Art`` and ``art`` are one category."""
    return category_name(name).casefold()


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
