"""Tags every taggable resource carries, so a bill or a console filter finds the stack's parts."""

from __future__ import annotations

__all__ = ["Tagger"]


class Tagger:
    def __init__(self, project: str, stack: str) -> None:
        self.project, self.stack = project, stack

    def __call__(self, name: str, **extra: str) -> dict[str, str]:
        return {
            "project": self.project,
            "stack": self.stack,
            "Name": f"{self.project}-{self.stack}-{name}",
            **extra,
        }
