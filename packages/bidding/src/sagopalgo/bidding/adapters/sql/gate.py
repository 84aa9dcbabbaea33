"""The row-lock bid gate and its bid log: the benchmark's baseline, on MariaDB/MySQL only.

This gate exists to be measured against the Redis gate, not to replace it. It is the textbook
answer to "serialise the bids of a lot": one transaction per placement that takes the lot's row
with ``SELECT … FOR UPDATE``, judges the bid with the same pure ``judge`` as the other gates,
assigns aliases, updates the row, appends the placement to an outbox table (the bid log, read by
``SqlBidLog``), stores the idempotency record, and commits. A refusal raises inside the
transaction, so it rolls back and nothing is written.

Live clients hear of a placement only after its commit (the original told them of prices its
database then failed to store). A lot's event ids must still follow the gate's order, which the
row lock alone cannot give once it is released at the commit; so each placement first takes the
lot's named lock (``GET_LOCK``, held by the connection across its transaction) and releases it
only after publishing. If the process dies between the commit and the publication, the bid stands
and is in the history; live clients see it in the next event or snapshot.

It needs row locks, so it runs on MariaDB ≥ 10.6 or MySQL 8 (``SKIP LOCKED``), never on SQLite.
Its transactions run at READ COMMITTED: the lot lock orders every write of a lot, and the bid log's
readers then take no gap locks that would stall the gates' inserts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sagopalgo.bidding.adapters.codec import decode_placement, encode_placement, log_entry
from sagopalgo.bidding.adapters.events import placement_events
from sagopalgo.bidding.adapters.sql.tables import gate_aliases, gate_idempotency, gate_log, gate_lots
from sagopalgo.bidding.domain.errors import IdempotencyKeyReused
from sagopalgo.bidding.domain.gate import Acceptance, BidRequest, GateLot, judge
from sagopalgo.bidding.ports import EventPublisher, GateMiss, Idempotency, LogEntry
from sagopalgo.kernel.errors import Unavailable
from sagopalgo.platform.sql import outage_as_unavailable

__all__ = ["SqlBidGate", "SqlBidLog"]

_ISOLATION = "READ COMMITTED"
_log = logging.getLogger("sagopalgo.bidding")


def _wall_ms() -> int:
    """Infrastructure time (idempotency expiry, claim age), like Redis' TTLs and idle times."""
    return time.time_ns() // 1_000_000


def _row(lot: GateLot) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "seller_id": lot.seller_id,
        "start_price": lot.start_price,
        "bid_increment": lot.increment,
        "opens_ms": lot.opens_ms,
        "closes_ms": lot.closes_ms,
        "hard_cap_ms": lot.hard_cap_ms,
        "extended_bidding": lot.extended_bidding,
        "extension_ms": lot.extension_ms,
        "max_krw": lot.max_krw,
        "frozen": lot.frozen,
        "price": lot.price,
        "bid_count": lot.count,
        "leader_id": lot.leader,
        "leader_max": lot.leader_max,
        "seq": lot.seq,
    }


def _lot(row: Any) -> GateLot:
    return GateLot(
        lot_id=row.lot_id,
        seller_id=row.seller_id,
        start_price=row.start_price,
        increment=row.bid_increment,
        opens_ms=row.opens_ms,
        closes_ms=row.closes_ms,
        hard_cap_ms=row.hard_cap_ms,
        extended_bidding=bool(row.extended_bidding),
        extension_ms=row.extension_ms,
        max_krw=row.max_krw,
        frozen=bool(row.frozen),
        price=row.price,
        count=row.bid_count,
        leader=row.leader_id,
        leader_max=row.leader_max,
        seq=row.seq,
    )


_LOCK_WAIT_S = 10


def _lock_name(lot_id: int) -> Any:
    """Named locks are the server's, not a database's: the database's name keeps them apart."""
    return func.concat(func.database(), f":bid:{lot_id}")


async def _lock(conn: AsyncConnection, lot_id: int) -> None:
    """Take the lot's named lock for this connection (its session), across the transactions."""
    taken = (await conn.execute(select(func.get_lock(_lock_name(lot_id), _LOCK_WAIT_S)))).scalar_one()
    await conn.commit()  # end the implicit transaction the SELECT began; the lock is the session's
    if taken != 1:
        raise Unavailable("Bids on this lot are queued up; try again shortly.")


async def _unlock(conn: AsyncConnection, lot_id: int) -> None:
    await conn.execute(select(func.release_lock(_lock_name(lot_id))))
    await conn.commit()


async def _read_lot(conn: AsyncConnection, lot_id: int) -> GateLot | None:
    row = (await conn.execute(select(gate_lots).where(gate_lots.c.lot_id == lot_id))).first()
    return None if row is None else _lot(row)


class SqlBidGate:
    """A lot's state in a row of ``bidding_gate_lots``; each placement locks that row."""

    def __init__(
        self, engine: AsyncEngine, events: EventPublisher, *, idempotency_ttl_s: int = 86_400
    ) -> None:
        self._engine = engine.execution_options(isolation_level=_ISOLATION)
        self._events, self._ttl_ms = events, idempotency_ttl_s * 1000

    async def prime(self, lot: GateLot, aliases: dict[int, int]) -> bool:
        async with self._engine.connect() as conn:
            held = await _read_lot(conn, lot.lot_id)
            if held is not None and not held.frozen:
                return False
        try:
            async with self._engine.begin() as conn:
                if held is not None:  # frozen by its last close: the lot was relisted
                    taken = await conn.execute(
                        delete(gate_lots).where(
                            gate_lots.c.lot_id == lot.lot_id, gate_lots.c.frozen.is_(True)
                        )
                    )
                    if taken.rowcount != 1:
                        return False  # another process primed it first
                await conn.execute(insert(gate_lots).values(**_row(lot)))
                await conn.execute(delete(gate_aliases).where(gate_aliases.c.lot_id == lot.lot_id))
                if aliases:
                    await conn.execute(
                        insert(gate_aliases),
                        [
                            {"lot_id": lot.lot_id, "bidder_id": bidder, "alias": alias}
                            for bidder, alias in aliases.items()
                        ],
                    )
        except IntegrityError:  # another process primed the lot in between: its state stands
            return False
        return True

    async def state(self, lot_id: int) -> GateLot | None:
        async with self._engine.connect() as conn:
            return await _read_lot(conn, lot_id)

    async def freeze(self, lot_id: int) -> GateLot | None:
        async with self._engine.begin() as conn:
            await conn.execute(update(gate_lots).where(gate_lots.c.lot_id == lot_id).values(frozen=True))
            return await _read_lot(conn, lot_id)

    async def forget(self, lot_id: int) -> None:
        """Lose the lot's state, as the other gates can (for tests of the rebuild)."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(gate_lots).where(gate_lots.c.lot_id == lot_id))
            await conn.execute(delete(gate_aliases).where(gate_aliases.c.lot_id == lot_id))

    async def place(self, lot_id: int, bid: BidRequest, idempotency: Idempotency | None) -> Acceptance:
        async with self._engine.connect() as conn:
            await _lock(conn, lot_id)
            try:
                accepted, events = await self._judge_and_store(conn, lot_id, bid, idempotency)
                for type_, data in events:  # committed: now, and in the gate's order, tell the clients
                    await self._events.publish(lot_id, type_, data)
                return accepted
            finally:
                try:
                    await _unlock(conn, lot_id)
                except BaseException:
                    # The named lock is the session's: a connection that cannot free it (broken, or
                    # cancelled mid-statement) must not go back to the pool holding it. Closed, the
                    # server frees it.
                    await conn.invalidate()
                    raise

    async def _judge_and_store(
        self, conn: AsyncConnection, lot_id: int, bid: BidRequest, idempotency: Idempotency | None
    ) -> tuple[Acceptance, list[tuple[str, dict[str, Any]]]]:
        """One transaction: the placement and what to publish once it committed (nothing on a replay)."""
        async with conn.begin():  # a raise anywhere below rolls everything back
            row = (
                await conn.execute(select(gate_lots).where(gate_lots.c.lot_id == lot_id).with_for_update())
            ).first()
            if row is None:
                raise GateMiss(lot_id)
            idem = gate_idempotency.c
            seen: Any = None
            if idempotency is not None:
                where = and_(
                    idem.lot_id == lot_id,
                    idem.bidder_id == bid.bidder,
                    idem.idempotency_key == idempotency.key,
                )
                found = await conn.execute(
                    select(idem.fingerprint, idem.payload, idem.expires_at_ms).where(where)
                )
                seen = found.first()
                if seen is not None and seen.expires_at_ms > _wall_ms():
                    if seen.fingerprint != idempotency.fingerprint:
                        raise IdempotencyKeyReused()
                    return decode_placement(seen.payload)[0], []

            accepted = judge(_lot(row), bid)  # raises the refusal
            aliases = await self._aliases(conn, lot_id, accepted)
            after = accepted.state
            await conn.execute(
                update(gate_lots)
                .where(gate_lots.c.lot_id == lot_id)
                .values(
                    price=after.price,
                    bid_count=after.count,
                    leader_id=after.leader,
                    leader_max=after.leader_max,
                    seq=after.seq,
                    closes_ms=after.closes_ms,
                )
            )
            payload = encode_placement(accepted, aliases)
            await conn.execute(
                insert(gate_log).values(
                    lot_id=lot_id,
                    bidder_id=bid.bidder,
                    max_amount=bid.max_amount,
                    placed_at_ms=bid.now_ms,
                    payload=payload,
                )
            )
            if idempotency is not None:
                record = {
                    "fingerprint": idempotency.fingerprint,
                    "payload": payload,
                    "expires_at_ms": _wall_ms() + self._ttl_ms,
                }
                if seen is None:
                    await conn.execute(
                        insert(gate_idempotency).values(
                            lot_id=lot_id, bidder_id=bid.bidder, idempotency_key=idempotency.key, **record
                        )
                    )
                else:  # an expired record of the same key: the key starts over
                    await conn.execute(update(gate_idempotency).where(where).values(**record))
        return accepted, [(t, dict(d)) for t, d in placement_events(lot_id, accepted, aliases, bid.now_ms)]

    @staticmethod
    async def _aliases(conn: AsyncConnection, lot_id: int, accepted: Acceptance) -> tuple[int, ...]:
        """Each placed bid's bidder's alias: 1, 2, 3… in the order the lot first saw them."""
        bidders = list(dict.fromkeys(p.bidder for p in accepted.placed))
        if not bidders:
            return ()
        a = gate_aliases.c
        known: dict[int, int] = {
            bidder: alias
            for bidder, alias in await conn.execute(
                select(a.bidder_id, a.alias).where(a.lot_id == lot_id, a.bidder_id.in_(bidders))
            )
        }
        new = [b for b in bidders if b not in known]
        if new:
            top = (
                await conn.execute(select(func.coalesce(func.max(a.alias), 0)).where(a.lot_id == lot_id))
            ).scalar_one()
            for bidder in new:
                top += 1
                known[bidder] = top
            await conn.execute(
                insert(gate_aliases),
                [{"lot_id": lot_id, "bidder_id": bidder, "alias": known[bidder]} for bidder in new],
            )
        return tuple(known[p.bidder] for p in accepted.placed)


class SqlBidLog:
    """The outbox ``bidding_gate_log`` read like the Redis consumer group: claim, write, delete.

    A reader claims unclaimed rows oldest first (``FOR UPDATE SKIP LOCKED``, so readers never wait on
    each other), naming itself and the claim time; ``pending`` reclaims the rows it claimed before;
    ``claim_stale`` takes over rows claimed longer ago than the given idle time; ``ack`` deletes
    rows. With nothing to read, ``read`` polls every ``poll_ms`` until ``block_ms`` has passed.

    A poison row stays in the table as a dead letter: claimed by ``DEAD_LETTER`` at a time no claim
    ever reaches, so nothing reads it again (an operator releases it by setting ``consumer`` NULL).
    An undecodable row is made one when it is read. A database that cannot be reached raises
    ``Unavailable``.
    """

    DEAD_LETTER = "dead-letter"
    _NEVER = 2**62

    def __init__(self, engine: AsyncEngine, *, poll_ms: int = 20) -> None:
        self._engine = engine.execution_options(isolation_level=_ISOLATION)
        self._poll_s = poll_ms / 1000
        self.dead_lettered = 0

    async def read(self, consumer: str, count: int, block_ms: int) -> list[LogEntry]:
        deadline = time.monotonic() + block_ms / 1000
        while True:
            entries = await self._claim(consumer, count, gate_log.c.consumer.is_(None))
            left = deadline - time.monotonic()
            if entries or left <= 0:
                return entries
            await asyncio.sleep(min(self._poll_s, left))

    async def pending(self, consumer: str, count: int) -> list[LogEntry]:
        return await self._claim(consumer, count, gate_log.c.consumer == consumer)

    async def claim_stale(self, consumer: str, min_idle_ms: int, count: int) -> list[LogEntry]:
        claimed_before = _wall_ms() - min_idle_ms
        stale = and_(gate_log.c.consumer.is_not(None), gate_log.c.claimed_at_ms <= claimed_before)
        return await self._claim(consumer, count, stale)

    async def ack(self, entry_ids: Sequence[str]) -> None:
        ids = [int(entry_id) for entry_id in entry_ids]
        if ids:
            with outage_as_unavailable():
                async with self._engine.begin() as conn:
                    await conn.execute(delete(gate_log).where(gate_log.c.id.in_(ids)))

    async def dead_letter(self, entry: LogEntry, reason: str) -> None:
        await self._bury(int(entry.entry_id), reason)

    async def _bury(self, row_id: int, reason: str) -> None:
        with outage_as_unavailable():
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(gate_log)
                    .where(gate_log.c.id == row_id)
                    .values(consumer=self.DEAD_LETTER, claimed_at_ms=self._NEVER)
                )
        self.dead_lettered += 1
        _log.error("bid-log entry %s left in bidding_gate_log as a dead letter: %s", row_id, reason)

    async def _claim(self, consumer: str, count: int, which: ColumnElement[bool]) -> list[LogEntry]:
        if count < 1:
            return []
        with outage_as_unavailable():
            async with self._engine.begin() as conn:
                rows = (
                    await conn.execute(
                        select(gate_log)
                        .where(which)
                        .order_by(gate_log.c.id)
                        .limit(count)
                        .with_for_update(skip_locked=True)
                    )
                ).all()
                if rows:
                    await conn.execute(
                        update(gate_log)
                        .where(gate_log.c.id.in_([r.id for r in rows]))
                        .values(consumer=consumer, claimed_at_ms=_wall_ms())
                    )
        out = []
        for r in rows:
            try:
                entry = log_entry(str(r.id), r.lot_id, r.bidder_id, r.max_amount, r.placed_at_ms, r.payload)
                out.append(entry)
            except Exception as exc:  # whatever the payload is, it is not a placement
                await self._bury(r.id, f"undecodable: {type(exc).__name__}: {exc}")
        return out
