"""Paging shared by every list endpoint: ``?page=1&size=20`` with ``size`` at most 100 (API.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sagopalgo.kernel.errors import Invalid

__all__ = ["MAX_PAGE_SIZE", "Page", "PageRequest"]

MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
"""Deep offsets cost the database a scan each; nobody pages a million rows by hand."""

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int = 1
    size: int = 20

    def __post_init__(self) -> None:
        if not 1 <= self.page <= MAX_PAGE:
            raise Invalid(f"page must be between 1 and {MAX_PAGE}.", field="page")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise Invalid(f"size must be between 1 and {MAX_PAGE_SIZE}.", field="size")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    size: int
    total: int

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page([fn(item) for item in self.items], self.page, self.size, self.total)
