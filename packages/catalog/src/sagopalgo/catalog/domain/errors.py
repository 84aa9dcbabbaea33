"""Catalog refusals with the stable codes of API.md."""

from __future__ import annotations

from sagopalgo.kernel.errors import Conflict

__all__ = ["LotLocked", "LotStateConflict"]


class LotLocked(Conflict):
    """The lot has opened (or ended): its listing can no longer be edited or withdrawn."""

    code = "LOT_LOCKED"


class LotStateConflict(Conflict):
    """The requested transition does not start from the lot's current state."""

    code = "LOT_STATE_CONFLICT"
