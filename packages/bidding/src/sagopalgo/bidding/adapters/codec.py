"""One placement's wire format, shared by every gate that stores or logs acceptances as text.

The Redis gate's Lua script writes this JSON (into the bid log and the idempotency record); the
row-lock gate writes it with ``encode_placement``; both read it back with ``decode_placement``.
The encoder emits the script's exact bytes (same key order, no spaces), so a payload means the same
whichever gate wrote it::

    {"o": outcome, "p": [[bid_id, bidder, amount, seq, proxy 0|1, alias], ...],
     "s": [price, count, leader, leader_max, seq, closes_ms], "x": extended 0|1,
     "f": [lot_id, seller, start, increment, opens_ms, hard_cap_ms, extended_bidding 0|1,
           extension_ms, max_krw]}

``frozen`` is not carried: a lot accepts bids only while it is not frozen.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sagopalgo.bidding.domain.gate import Acceptance, GateLot, Outcome, PlacedBid
from sagopalgo.bidding.ports import LogEntry

__all__ = ["decode_placement", "encode_placement", "log_entry"]

_decoder = msgspec.json.Decoder(dict[str, Any])
_encoder = msgspec.json.Encoder()


def encode_placement(acceptance: Acceptance, aliases: tuple[int, ...]) -> str:
    """The placement as the Lua script writes it; ``aliases`` pairs with ``acceptance.placed``."""
    s = acceptance.state
    return _encoder.encode(
        {
            "o": acceptance.outcome.value,
            "p": [
                [b.bid_id, b.bidder, b.amount, b.seq, int(b.proxy), alias]
                for b, alias in zip(acceptance.placed, aliases, strict=True)
            ],
            "s": [s.price, s.count, s.leader, s.leader_max, s.seq, s.closes_ms],
            "x": int(acceptance.extended),
            "f": [
                s.lot_id,
                s.seller_id,
                s.start_price,
                s.increment,
                s.opens_ms,
                s.hard_cap_ms,
                int(s.extended_bidding),
                s.extension_ms,
                s.max_krw,
            ],
        }
    ).decode()


def decode_placement(payload: str | bytes) -> tuple[Acceptance, tuple[int, ...]]:
    """The acceptance and the alias of each placed bid's bidder."""
    raw = _decoder.decode(payload)
    lot_id, seller, start, inc, opens, cap, ext, ext_ms, max_krw = raw["f"]
    price, count, leader, leader_max, seq, closes = raw["s"]
    state = GateLot(
        lot_id=lot_id,
        seller_id=seller,
        start_price=start,
        increment=inc,
        opens_ms=opens,
        closes_ms=closes,
        hard_cap_ms=cap,
        extended_bidding=bool(ext),
        extension_ms=ext_ms,
        max_krw=max_krw,
        price=price,
        count=count,
        leader=leader,
        leader_max=leader_max,
        seq=seq,
    )
    placed = tuple(PlacedBid(p[0], p[1], p[2], p[3], bool(p[4])) for p in raw["p"])
    aliases = tuple(p[5] for p in raw["p"])
    return Acceptance(Outcome(raw["o"]), placed, state, bool(raw["x"])), aliases


def log_entry(
    entry_id: str, lot_id: int, bidder: int, max_amount: int, placed_at_ms: int, payload: str | bytes
) -> LogEntry:
    """A bid-log entry from its stored fields and its placement payload."""
    acceptance, aliases = decode_placement(payload)
    return LogEntry(
        entry_id=entry_id,
        lot_id=lot_id,
        bidder=bidder,
        max_amount=max_amount,
        placed_at_ms=placed_at_ms,
        acceptance=acceptance,
        aliases=aliases,
    )
