"""Shared by the payment tests: a won award on an API wired to the fake Toss, and ways to look."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from sagopalgo.kernel.clock import ManualClock
from sagopalgo.kernel.identity import Principal
from sagopalgo.payments.adapters.fake_toss import FakeToss
from sagopalgo.payments.adapters.sql.repository import SqlOrderRepository, SqlPaymentsUnitOfWork
from sagopalgo.payments.domain import Order, OrderStatus
from sagopalgo.platform.sql import create_engine
from tests.integration.helpers import bearer
from tests.integration.test_auction_day import Day, kst

CLIENT_KEY = "test_ck_sagopalgo_fake_0000000000"
CONFIRM = "/v1/payments/confirm"


@contextmanager
def running_fake() -> Iterator[FakeToss]:
    fake = FakeToss(webhook_retry_delays=(0.05, 0.05, 0.05))
    with fake.running():
        yield fake


def toss_settings(fake: FakeToss) -> dict[str, Any]:
    assert fake.base_url is not None
    return {"toss_secret_key": fake.secret_key, "toss_client_key": CLIENT_KEY, "toss_base_url": fake.base_url}


@dataclass
class Won:
    """A closed day with one award per lot, all won by bidder 0."""

    day: Day
    lots: list[int]
    awards: list[int]
    amount: int

    @property
    def api(self) -> AsyncTestClient[Any]:
        return self.day.api

    async def winner(self) -> dict[str, str]:
        return bearer(await self.day.token_of(self.day.bidders[0]))

    async def loser(self) -> dict[str, str]:
        return bearer(await self.day.token_of(self.day.bidders[1]))

    async def admin(self) -> dict[str, str]:
        return bearer(await self.day.token_of(self.day.admin_ident))

    async def principal(self) -> Principal:
        me = (await self.api.get("/api/v1/me", headers=await self.winner())).json()
        return Principal(user_id=int(me["id"]), username=me["username"], roles=frozenset(me["roles"]))

    async def checkout(self, index: int = 0) -> dict[str, Any]:
        response = await self.api.post(
            f"/api/v1/awards/{self.awards[index]}/checkout", headers=await self.winner()
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def confirm(self, body: dict[str, Any], **headers: str) -> Any:
        return await self.api.post(
            "/api/v1/payments/confirm", json=body, headers={**await self.winner(), **headers}
        )

    async def award_status(self, index: int = 0) -> str:
        mine = (
            await self.api.get("/api/v1/me/awards", headers=await self.winner(), params={"size": 100})
        ).json()
        return str(next(a["status"] for a in mine["items"] if a["id"] == self.awards[index]))


async def won_awards(api: AsyncTestClient[Any], clock: ManualClock, day: date, lots: int = 1) -> Won:
    """List ``lots`` lots for ``day``, open at 09:00, bidder 0 bids 10,000 on each, close at 18:00."""
    d = Day(api, clock, day)
    ids = await d.setup(lots)
    clock.set(kst(day, 9))
    d.admin = await d.token_of(d.admin_ident)
    await d.run("open")
    for lot in ids:
        assert (await d.bid(lot, 0, 10_000)).status_code == 201
    clock.set(kst(day, 18))
    d.admin = await d.token_of(d.admin_ident)
    await d.run("close")
    token = await d.token_of(d.bidders[0])
    mine = (await api.get("/api/v1/me/awards", headers=bearer(token), params={"size": 100})).json()
    award_of = {a["lot"]["id"]: a["id"] for a in mine["items"]}
    return Won(d, ids, [award_of[lot] for lot in ids], 10_000)


async def order_row(api: AsyncTestClient[Any], order_id: str) -> Order:
    """The order as stored, read on a connection of this test's own."""
    engine = create_engine(api.app.state.settings.database_url)
    try:
        async with AsyncSession(engine) as session:
            order = await SqlOrderRepository(session).get(order_id)
    finally:
        await engine.dispose()
    assert order is not None
    return order


def confirms(fake: FakeToss, order_id: str | None = None) -> list[tuple[str | None, int | None, bool]]:
    """Confirm requests Toss saw: (idempotency key, status, replayed), for one order if named."""
    return [
        (r.idempotency_key, r.status, r.replayed)
        for r in fake.requests
        if r.path == CONFIRM and (order_id is None or order_id.encode() in r.body)
    ]


class CommitFailsAfterPaid(SqlPaymentsUnitOfWork):
    """A unit of work whose commit fails once it has recorded an order as paid: Toss approved,
    the award is marked, and then our database write is lost (a crash, a failover)."""

    def _bind(self, session: AsyncSession) -> None:
        super()._bind(session)
        self._recorded_paid = False
        save = self.orders.save

        async def spy(order: Order, *, was: Any) -> bool:
            self._recorded_paid |= order.status is OrderStatus.PAID
            return await save(order, was=was)

        self.orders.save = spy  # type: ignore[method-assign]

    async def commit(self) -> None:
        if self._recorded_paid:
            raise OperationalError("COMMIT", {}, Exception("injected: the database connection was lost"))
        await super().commit()
