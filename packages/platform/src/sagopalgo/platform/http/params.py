"""Parameters every API shares: ids, API.md's paging (size at most 100), the Idempotency-Key header."""

from __future__ import annotations

from typing import Annotated

from litestar.params import HeaderParameter, PathParameter, QueryParameter

from sagopalgo.kernel.money import INT64_MAX
from sagopalgo.kernel.paging import MAX_PAGE, MAX_PAGE_SIZE

__all__ = ["Id", "IdempotencyKey", "PageNo", "PageSize"]

Id = Annotated[int, PathParameter(ge=1, le=INT64_MAX)]
PageNo = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="1-based page number")]
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description=f"at most {MAX_PAGE_SIZE}")]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=64,
        description="Repeat a request with the same key and body to get its first answer back "
        "(kept 24 hours); the same key with another body is refused with IDEMPOTENCY_KEY_REUSED.",
    ),
]
"""Declared on idempotent handlers for validation and OpenAPI; ``IdempotencyMiddleware`` acts on it."""
