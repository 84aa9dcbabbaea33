"""Orders and webhook receipts in SQL; every status change is a compare-and-set on the row."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sagopalgo.payments.adapters.sql.tables import orders, webhook_receipts
from sagopalgo.payments.domain.order import Order, OrderStatus
from sagopalgo.payments.ports import WebhookReceipt
from sagopalgo.platform.sql import SqlUnitOfWork

__all__ = ["SqlOrderRepository", "SqlPaymentsUnitOfWork", "SqlWebhookReceipts"]


def _order(row: Any) -> Order:
    return Order(
        order_id=row.order_id,
        award_id=row.award_id,
        buyer_id=row.buyer_id,
        amount=row.amount,
        order_name=row.order_name,
        status=OrderStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        payment_key=row.payment_key,
        confirming_since=row.confirming_since,
        method=row.method,
        approved_at=row.approved_at,
        receipt_url=row.receipt_url,
        failure_code=row.failure_code,
        refunded_amount=row.refunded_amount,
        refunded_at=row.refunded_at,
        refund_reason=row.refund_reason,
    )


def _values(order: Order) -> dict[str, Any]:
    return {
        "live_award_id": order.award_id if order.status.live else None,
        "status": order.status.value,
        "updated_at": order.updated_at,
        "payment_key": order.payment_key,
        "confirming_since": order.confirming_since,
        "method": (order.method or "")[:32] or None,
        "approved_at": order.approved_at,
        "receipt_url": (order.receipt_url or "")[:500] or None,
        "failure_code": (order.failure_code or "")[:64] or None,
        "refunded_amount": order.refunded_amount,
        "refunded_at": order.refunded_at,
        "refund_reason": (order.refund_reason or "")[:200] or None,
    }


class SqlOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, order: Order) -> bool:
        try:
            await self._s.execute(
                insert(orders).values(
                    order_id=order.order_id,
                    award_id=order.award_id,
                    buyer_id=order.buyer_id,
                    amount=order.amount,
                    order_name=order.order_name,
                    created_at=order.created_at,
                    **_values(order),
                )
            )
        except IntegrityError:  # the award has a live order: a racing checkout made it
            return False
        return True

    async def get(self, order_id: str) -> Order | None:
        row = (await self._s.execute(select(orders).where(orders.c.order_id == order_id))).first()
        return _order(row) if row else None

    async def live_of_award(self, award_id: int) -> Order | None:
        row = (await self._s.execute(select(orders).where(orders.c.live_award_id == award_id))).first()
        return _order(row) if row else None

    async def save(self, order: Order, *, was: Collection[OrderStatus]) -> bool:
        # The row's latest committed status decides (InnoDB's UPDATE reads it under a lock; SQLite
        # has one writer), so of two racing requests exactly one moves the order.
        result = await self._s.execute(
            update(orders)
            .where(orders.c.order_id == order.order_id, orders.c.status.in_([s.value for s in was]))
            .values(**_values(order))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def confirming_since(self, before: datetime, limit: int) -> list[Order]:
        rows = await self._s.execute(
            select(orders)
            .where(orders.c.status == OrderStatus.CONFIRMING.value, orders.c.confirming_since <= before)
            .order_by(orders.c.confirming_since)
            .limit(limit)
        )
        return [_order(r) for r in rows]


class SqlWebhookReceipts:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, receipt: WebhookReceipt) -> bool:
        try:
            await self._s.execute(
                insert(webhook_receipts).values(
                    transmission_id=receipt.transmission_id,
                    event_type=receipt.event_type,
                    payment_key=receipt.payment_key,
                    order_id=receipt.order_id,
                    received_at=receipt.received_at,
                    processed_at=receipt.processed_at,
                )
            )
        except IntegrityError:  # delivered before
            return False
        return True

    async def processed(self, transmission_id: str, at: datetime) -> None:
        await self._s.execute(
            update(webhook_receipts)
            .where(
                webhook_receipts.c.transmission_id == transmission_id,
                webhook_receipts.c.processed_at.is_(None),
            )
            .values(processed_at=at)
        )

    async def unprocessed(self, before: datetime, limit: int) -> list[WebhookReceipt]:
        rows = await self._s.execute(
            select(webhook_receipts)
            .where(webhook_receipts.c.processed_at.is_(None), webhook_receipts.c.received_at <= before)
            .order_by(webhook_receipts.c.received_at)
            .limit(limit)
        )
        return [
            WebhookReceipt(r.transmission_id, r.event_type, r.payment_key, r.order_id, r.received_at)
            for r in rows
        ]


class SqlPaymentsUnitOfWork(SqlUnitOfWork):
    orders: SqlOrderRepository
    receipts: SqlWebhookReceipts

    def _bind(self, session: AsyncSession) -> None:
        self.orders = SqlOrderRepository(session)
        self.receipts = SqlWebhookReceipts(session)
