"""The events a placement publishes, shaped once for the in-process gate (the Lua script mirrors it)."""

from __future__ import annotations

from typing import Any

from sagopalgo.bidding.domain.gate import Acceptance

__all__ = ["alias_name", "placement_events"]


def alias_name(alias: int) -> str:
    return f"Bidder {alias}"


def placement_events(
    lot_id: int, acceptance: Acceptance, aliases: tuple[int, ...], now_ms: int
) -> list[tuple[str, dict[str, Any]]]:
    """A ``bid`` event per visible bid, then a ``status`` event if the close moved."""
    before = acceptance.state.count - len(acceptance.placed)
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "bid",
            {
                "lotId": lot_id,
                "amount": placed.amount,
                "bidCount": before + i + 1,
                "placedAtMs": now_ms,
                "bidder": alias_name(alias),
            },
        )
        for i, (placed, alias) in enumerate(zip(acceptance.placed, aliases, strict=True))
    ]
    if acceptance.extended:
        events.append(
            (
                "status",
                {
                    "lotId": lot_id,
                    "status": "OPEN",
                    "closesAtMs": acceptance.state.closes_ms,
                    "reason": "extended",
                },
            )
        )
    return events
