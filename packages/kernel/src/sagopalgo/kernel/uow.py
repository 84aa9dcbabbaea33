"""The shape every context's unit of work shares: one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

__all__ = ["UnitOfWork"]


class UnitOfWork(Protocol):
    """Leaving ``async with`` without ``commit`` rolls back, so a failed use case changes nothing."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...
