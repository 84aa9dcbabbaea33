"""Path and query parameters every API shares: ids and API.md's paging (size at most 100)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from sagopalgo.kernel.money import INT64_MAX
from sagopalgo.kernel.paging import MAX_PAGE, MAX_PAGE_SIZE

__all__ = ["Id", "PageNo", "PageSize"]

Id = Annotated[int, PathParameter(ge=1, le=INT64_MAX)]
PageNo = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="1-based page number")]
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description=f"at most {MAX_PAGE_SIZE}")]
