"""The auction day on both deployments, with the API process in UTC: open at 09:00, close at
18:00 (or a lot's extended close), awards, idempotent and race-free runs, catch-up, and lapses.

The production-like database is shared by a worker's tests, so each test uses a day of its own
and asserts on its own lots; a run's ``changed`` may include another test's stragglers only on
the first run, never on a repeat.
"""

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import IntegrityError

from sagopalgo.api.composition import open_market
from sagopalgo.bidding.adapters.sql.repository import SqlBiddingUnitOfWork
from sagopalgo.bidding.adapters.sql.tables import awards
from sagopalgo.bidding.contract import AwardStatus
from sagopalgo.bidding.domain.award import AwardNotPayable
from sagopalgo.kernel.clock import SEOUL, ManualClock
from tests.conftest import ApiFactory
from tests.integration.helpers import (
    PASSWORD,
    admin_token,
    assert_problem,
    bearer,
    lot_body,
    new_category,
    promote,
    sign_up_and_in,
    upload_photo,
    user_id,
)


@pytest.fixture(autouse=True)
def utc_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    assert time.strftime("%Z") == "UTC"
    yield
    monkeypatch.undo()
    time.tzset()


def kst(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SEOUL).astimezone(UTC)


class Day:
    """A seller's lots for one day, an admin, and bidders — all on one API client."""

    def __init__(self, api: AsyncTestClient[Any], clock: ManualClock, day: date) -> None:
        self.api, self.clock, self.day = api, clock, day
        self._tokens: dict[str, tuple[datetime, str]] = {}

    async def setup(self, lots: int, **lot_overrides: Any) -> list[int]:
        self.clock.set(kst(self.day - timedelta(days=1), 12))
        self.admin_ident, tokens = await sign_up_and_in(self.api)
        await promote(self.api, await user_id(self.api, tokens["accessToken"]))
        self.admin = await self.token_of(self.admin_ident)
        self.category = (await new_category(self.api, self.admin))["id"]
        self.seller_ident, seller = await sign_up_and_in(self.api)
        self.seller = seller["accessToken"]
        ids = []
        for _ in range(lots):
            key = await upload_photo(self.api, self.seller)
            body = lot_body(
                self.category,
                [key],
                self.day.isoformat(),
                startPrice=10_000,
                bidIncrement=1_000,
                **lot_overrides,
            )
            created = await self.api.post("/api/v1/lots", json=body, headers=bearer(self.seller))
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        self.bidders = [(await sign_up_and_in(self.api))[0] for _ in range(2)]
        return ids

    async def token_of(self, ident: dict[str, str]) -> str:
        """A token valid now: signed in again once the clock has moved on (tokens live 15 minutes)."""
        cached = self._tokens.get(ident["email"])
        if cached is not None and cached[0] == self.clock.now():
            return cached[1]
        pair = await self.api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
        token = str(pair.json()["accessToken"])
        self._tokens[ident["email"]] = (self.clock.now(), token)
        return token

    async def run(self, transition: str, token: str | None = None) -> int:
        response = await self.api.post(
            f"/api/v1/admin/auction-days/{self.day.isoformat()}/{transition}",
            headers=bearer(token or self.admin),
        )
        assert response.status_code == 200, response.text
        assert response.json()["day"] == self.day.isoformat()
        return int(response.json()["changed"])

    async def status(self, lot: int) -> str:
        return str((await self.api.get(f"/api/v1/lots/{lot}")).json()["status"])

    async def bid(self, lot: int, who: int, amount: int) -> Any:
        token = await self.token_of(self.bidders[who])
        return await self.api.post(f"/api/v1/lots/{lot}/bids", json={"amount": amount}, headers=bearer(token))


async def _statuses(day: Day, lot: int) -> list[str]:
    """The ``status`` events on the lot's live stream, oldest first (what SSE clients were told)."""
    settings = day.api.app.state.settings
    if settings.redis_url:  # Redis streams: read them on this test's loop
        async with open_market(settings, day.clock) as market:
            events = await market.events.since(lot, None, 1_000)
    else:  # the embedded deployment's in-process log
        events = await day.api.app.state.events.since(lot, None, 1_000)
    return [str(e.data["status"]) for e in events if e.type == "status"]


async def _admin_at(day: Day) -> None:
    """Admin tokens expire too: sign the admin in again at the current moment."""
    day.admin = await day.token_of(day.admin_ident)


async def test_the_day_opens_at_nine_and_closes_at_six(api_factory: ApiFactory, clock: ManualClock) -> None:
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 12))
        sold, unsold = await day.setup(2)

        clock.set(kst(day.day, 8, 59, 59))
        await _admin_at(day)
        await day.run("open")
        assert (await day.status(sold), await day.status(unsold)) == ("SCHEDULED", "SCHEDULED")
        assert (await day.bid(sold, 0, 10_000)).status_code == 409  # LOT_NOT_OPEN

        clock.set(kst(day.day, 9))
        await _admin_at(day)
        assert await day.run("open") >= 2
        assert await day.run("open") == 0  # idempotent
        assert (await day.status(sold), await day.status(unsold)) == ("OPEN", "OPEN")
        assert (await day.bid(sold, 0, 10_000)).status_code == 201

        clock.set(kst(day.day, 17, 59, 59))
        await _admin_at(day)
        await day.run("close")  # may close another test's stragglers, never ours
        assert (await day.status(sold), await day.status(unsold)) == ("OPEN", "OPEN")
        assert (await day.bid(sold, 1, 11_000)).status_code == 201  # the last second still counts
        assert await day.status(sold) == "OPEN"

        clock.set(kst(day.day, 18))
        await _admin_at(day)
        assert (await day.bid(sold, 0, 12_000)).status_code == 409  # the gate closes on its own
        assert await day.run("close") >= 2
        assert await day.run("close") == 0  # idempotent
        detail = (await api.get(f"/api/v1/lots/{sold}")).json()
        assert (detail["status"], detail["currentPrice"], detail["bidCount"]) == ("SOLD", 11_000, 2)
        assert await day.status(unsold) == "UNSOLD"
        assert await _statuses(day, sold) == ["OPEN", "SOLD"]  # live clients heard each move once
        assert await _statuses(day, unsold) == ["OPEN", "UNSOLD"]

        winner = await day.token_of(day.bidders[1])
        awards = (await api.get("/api/v1/me/awards", headers=bearer(winner))).json()
        assert awards["total"] == 1
        award = awards["items"][0]
        assert award["lot"]["id"] == sold
        assert (award["amount"], award["status"]) == (11_000, "PAYMENT_DUE")
        assert award["payBy"] == "2031-05-15T18:00:00+09:00"  # 72 hours after the close
        loser = await day.token_of(day.bidders[0])
        assert (await api.get("/api/v1/me/awards", headers=bearer(loser))).json()["total"] == 0


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_LOT_TIMES = {"opensAt", "closesAt", "placedAt", "createdAt", "payBy"}


def _instants(body: Any, found: list[tuple[str, str]], key: str = "") -> list[tuple[str, str]]:
    """Every ``(field, value)`` of the body whose value is an RFC 3339 date and time."""
    if isinstance(body, dict):
        for name, value in body.items():
            _instants(value, found, name)
    elif isinstance(body, list):
        for value in body:
            _instants(value, found, key)
    elif isinstance(body, str) and _INSTANT.match(body):
        found.append((key, body))
    return found


async def test_every_instant_the_api_shows_carries_its_offset(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    """The original returned naive 09:00/18:00 (defect 9); the process here runs in UTC, so a naive
    time would show the UTC wall clock. Lot times are shown in +09:00, anything else with its offset."""
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 27))
        (lot,) = await day.setup(1, extendedBidding=True)
        shown: list[tuple[str, str]] = []

        async def read(path: str, token: str | None = None, total: int = 0) -> None:
            for _ in range(200):  # the bid log and the search index follow asynchronously
                body = (await api.get(path, headers=bearer(token) if token else {})).json()
                if body.get("total", 0) >= total:
                    break
                await asyncio.sleep(0.05)
            assert body.get("total", 0) >= total, (path, body)
            _instants(body, shown)

        ticket = await api.post(
            "/api/v1/uploads/images",
            json={"contentType": "image/png", "size": 100},
            headers=bearer(day.seller),
        )
        _instants(ticket.json(), shown)
        await read("/api/v1/me/lots", day.seller, total=1)
        clock.set(kst(day.day, 17, 59))
        await _admin_at(day)
        await day.run("open")
        placed = await day.bid(lot, 0, 10_000)
        assert placed.status_code == 201, placed.text
        _instants(placed.json(), shown)
        for path in (f"/api/v1/lots/{lot}", f"/api/v1/lots?auctionDay={day.day}", "/api/v1/lots/featured"):
            await read(path)
        await read(f"/api/v1/search/lots?auctionDay={day.day}", total=1)
        await read(f"/api/v1/lots/{lot}/bids", total=1)
        await read("/api/v1/me/bids", await day.token_of(day.bidders[0]), total=1)
        clock.set(kst(day.day, 18, 2))
        await _admin_at(day)
        assert await day.run("close") >= 1
        await read("/api/v1/me/awards", await day.token_of(day.bidders[0]), total=1)

    assert {name for name, _ in shown} >= _LOT_TIMES | {"expiresAt"}
    assert [(n, v) for n, v in shown if not re.search(r"(Z|[+-]\d{2}:\d{2})$", v)] == []
    assert [(n, v) for n, v in shown if n in _LOT_TIMES and not v.endswith("+09:00")] == []
    assert ("closesAt", "2031-05-27T18:02:00+09:00") in shown  # the extension, as the bidder saw it


async def test_extended_bidding_is_closed_by_a_later_run(api_factory: ApiFactory, clock: ManualClock) -> None:
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 13))
        (lot,) = await day.setup(1, extendedBidding=True)
        clock.set(kst(day.day, 9))
        await _admin_at(day)
        await day.run("open")
        clock.set(kst(day.day, 17, 59))
        placed = await day.bid(lot, 0, 10_000)
        assert placed.json()["closesAt"] == f"{day.day.isoformat()}T18:02:00+09:00"

        clock.set(kst(day.day, 18, 1))
        await _admin_at(day)
        await day.run("close")
        assert await day.status(lot) == "OPEN"  # still in its extension
        assert (await day.bid(lot, 1, 11_000)).status_code == 201  # moves the close to 18:04

        clock.set(kst(day.day, 18, 4))
        await _admin_at(day)
        await day.run("close")
        assert await day.status(lot) == "SOLD"


async def test_racing_runs_on_two_instances_move_each_lot_once(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    async with api_factory() as api, api_factory() as other:
        day = Day(api, clock, date(2031, 5, 14))
        lots = await day.setup(6)
        clock.set(kst(day.day, 9))
        await _admin_at(day)

        async def run(client: AsyncTestClient[Any], transition: str) -> int:
            response = await client.post(
                f"/api/v1/admin/auction-days/{day.day.isoformat()}/{transition}", headers=bearer(day.admin)
            )
            assert response.status_code == 200, response.text
            return int(response.json()["changed"])

        opened = await asyncio.gather(*(run(c, "open") for c in (api, other, api, other)))
        assert sum(opened) >= len(lots)
        assert sorted(opened)[:3] == [0, 0, 0]  # one run did it all; the others found nothing to do
        for lot in lots:
            assert (await day.bid(lot, 0, 10_000)).status_code == 201

        clock.set(kst(day.day, 18))
        await _admin_at(day)
        closed = await asyncio.gather(*(run(c, "close") for c in (api, other, api, other)))
        assert sorted(closed)[:3] == [0, 0, 0]
        assert [await day.status(lot) for lot in lots] == ["SOLD"] * len(lots)
        winner = await day.token_of(day.bidders[0])
        awards = (await api.get("/api/v1/me/awards", headers=bearer(winner), params={"size": 100})).json()
        assert sorted(a["lot"]["id"] for a in awards["items"]) == sorted(lots)  # one award per lot


async def test_a_missed_day_is_caught_up_when_the_schedule_starts(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    missed = date(2031, 5, 15)
    async with api_factory() as api:
        day = Day(api, clock, missed)
        stranded = await day.setup(1)
        today = Day(api, clock, missed + timedelta(days=1))
        (todays,) = await today.setup(1)
    clock.set(kst(missed + timedelta(days=1), 10))  # the service was down from before 09:00 yesterday
    async with api_factory(schedule="inprocess", schedule_tick_seconds=0.05) as api:
        for _ in range(200):
            statuses = [
                (await api.get(f"/api/v1/lots/{lot}")).json()["status"] for lot in (*stranded, todays)
            ]
            if statuses == ["UNSOLD", "OPEN"]:
                break
            await asyncio.sleep(0.05)
            # Time passes here as it does in production: a lot detail cached while a transition
            # ran (LOT_CACHE_TTL_SECONDS, 5 s of clock time) may show the old status until it expires.
            clock.advance(timedelta(seconds=1))
        assert statuses == ["UNSOLD", "OPEN"]  # yesterday's opened and closed; today's open


async def test_an_unpaid_award_lapses_and_the_seller_relists(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 19))
        (lot,) = await day.setup(1)
        clock.set(kst(day.day, 9))
        await _admin_at(day)
        await day.run("open")
        await day.bid(lot, 0, 10_000)
        clock.set(kst(day.day, 18))
        await _admin_at(day)
        await day.run("close")
        winner = await day.token_of(day.bidders[0])
        assert (await api.get("/api/v1/me/awards", headers=bearer(winner))).json()["items"][0]["status"] == (
            "PAYMENT_DUE"
        )

        clock.set(kst(day.day, 18) + timedelta(hours=72))
        async with open_market(api.app.state.settings, clock) as market:  # on this test's loop
            expired = await market.days.expire_awards(trigger="test")
        assert expired.changed >= 1
        winner = await day.token_of(day.bidders[0])
        assert (await api.get("/api/v1/me/awards", headers=bearer(winner))).json()["items"][0]["status"] == (
            "EXPIRED"
        )
        assert await day.status(lot) == "UNSOLD"
        seller = await day.token_of(day.seller_ident)
        relist = await api.post(
            f"/api/v1/lots/{lot}/relist", json={"auctionDay": "2031-05-26"}, headers=bearer(seller)
        )
        assert relist.status_code == 200, relist.text


async def test_only_admins_run_transitions_and_bad_paths_are_problems(api: AsyncTestClient[Any]) -> None:
    _, user = await sign_up_and_in(api)
    forbidden = await api.post(
        "/api/v1/admin/auction-days/2031-05-20/open", headers=bearer(user["accessToken"])
    )
    assert_problem(forbidden, 403, "FORBIDDEN")
    admin = await admin_token(api)
    # A malformed day was a 404 (the route did not match) until the fuzzer sent "null,null".
    for path, field in (
        ("2031-05-20/reopen", "transition"),
        ("2031-13-40/open", "day"),
        ("yesterday/open", "day"),
        ("null,null/open", "day"),
    ):
        bad = await api.post(f"/api/v1/admin/auction-days/{path}", headers=bearer(admin))
        problem = assert_problem(bad, 400, "VALIDATION_FAILED")
        assert [e["field"] for e in problem["errors"]] == [field], (path, problem)
    anonymous = await api.post("/api/v1/admin/auction-days/2031-05-20/open")
    assert_problem(anonymous, 401, "UNAUTHENTICATED")


async def test_a_payment_and_an_expiry_settle_an_award_once(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    """Paid first: the expiry leaves it alone. Expired first: recording a payment is refused."""
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 21))
        paid_lot, lapsed_lot = await day.setup(2)
        clock.set(kst(day.day, 9))
        await _admin_at(day)
        await day.run("open")
        await day.bid(paid_lot, 0, 10_000)
        await day.bid(lapsed_lot, 0, 10_000)
        clock.set(kst(day.day, 18))
        await _admin_at(day)
        await day.run("close")
        winner = await day.token_of(day.bidders[0])
        mine = (await api.get("/api/v1/me/awards", headers=bearer(winner))).json()["items"]
        award_of = {a["lot"]["id"]: a["id"] for a in mine}

        async with open_market(api.app.state.settings, clock) as market:
            paid = await market.awards.mark_paid(award_of[paid_lot])
            assert paid.status.value == "PAID"
            assert (await market.awards.mark_paid(award_of[paid_lot])).paid_at == paid.paid_at  # idempotent
            clock.set(kst(day.day, 18) + timedelta(hours=72))
            await market.days.expire_awards(trigger="test")
            with pytest.raises(AwardNotPayable) as late:
                await market.awards.mark_paid(award_of[lapsed_lot])
        assert late.value.code == "AWARD_EXPIRED"
        winner = await day.token_of(day.bidders[0])
        statuses = {
            a["lot"]["id"]: a["status"]
            for a in (await api.get("/api/v1/me/awards", headers=bearer(winner))).json()["items"]
        }
        assert statuses == {paid_lot: "PAID", lapsed_lot: "EXPIRED"}
        assert (await day.status(paid_lot), await day.status(lapsed_lot)) == ("PAID", "UNSOLD")


async def test_an_expiry_that_read_a_due_award_before_it_was_paid_changes_nothing(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 22))
        (lot,) = await day.setup(1)
        clock.set(kst(day.day, 9))
        await _admin_at(day)
        await day.run("open")
        await day.bid(lot, 0, 10_000)
        clock.set(kst(day.day, 18))
        await _admin_at(day)
        await day.run("close")
        winner = await day.token_of(day.bidders[0])
        award_id = (await api.get("/api/v1/me/awards", headers=bearer(winner))).json()["items"][0]["id"]

        async with open_market(api.app.state.settings, clock) as market:
            async with SqlBiddingUnitOfWork(market.sessions) as expiry:
                stale = await expiry.awards.get(award_id)  # what the expiry run read...
                assert stale is not None
                await market.awards.mark_paid(award_id)  # ...before the payment was recorded
                stale.status = AwardStatus.EXPIRED
                assert await expiry.awards.save(stale) is False
                await expiry.commit()
            async with SqlBiddingUnitOfWork(market.sessions) as check:
                settled = await check.awards.get(award_id)
        assert settled is not None
        assert settled.status is AwardStatus.PAID


async def test_a_lot_has_one_award_however_often_its_close_is_written(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    """The original's payment table had no unique key on the item (defect 18): a rerun of its
    Lambda could write two winner rows. A close that crashed after the award and is run again
    finds it there; and the database itself refuses a second award for a lot."""
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 29))
        (lot,) = await day.setup(1)
        clock.set(kst(day.day, 9))
        await _admin_at(day)
        await day.run("open")
        assert (await day.bid(lot, 0, 10_000)).status_code == 201
        clock.set(kst(day.day, 18))
        await _admin_at(day)
        await day.run("close")
        assert await day.run("close") == 0
        async with open_market(api.app.state.settings, clock) as market:
            async with SqlBiddingUnitOfWork(market.sessions) as uow:
                first = await uow.awards.of_lot(lot)
                assert first is not None
                assert not await uow.awards.add(replace(first, id=None, amount=99_000))
            skip = {"id", "live_lot_id", "status"}
            row = {c.name: getattr(first, c.name) for c in awards.columns if c.name not in skip}
            twin = {**row, "status": first.status.value, "live_lot_id": lot}
            async with market.engine.connect() as conn:
                with pytest.raises(IntegrityError):
                    await conn.execute(awards.insert().values(**twin))
        winner = await day.token_of(day.bidders[0])
        mine = (await api.get("/api/v1/me/awards", headers=bearer(winner))).json()["items"]
        assert [(a["lot"]["id"], a["amount"]) for a in mine] == [(lot, 10_000)]


async def test_a_relisted_lot_takes_bids_on_its_new_day(api_factory: ApiFactory, clock: ManualClock) -> None:
    """The original never cleared a lot's bid state at close or relist (defect 28); a relisted lot
    must be judged by its new window, not by what the gate froze at its first close."""
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 5, 30))
        (lot,) = await day.setup(1)
        clock.set(kst(day.day, 9))
        await _admin_at(day)
        await day.run("open")
        clock.set(kst(day.day, 18))
        await _admin_at(day)
        await day.run("close")
        assert await day.status(lot) == "UNSOLD"
        again = day.day + timedelta(days=2)
        seller = await day.token_of(day.seller_ident)
        relisted = await api.post(
            f"/api/v1/lots/{lot}/relist", json={"auctionDay": again.isoformat()}, headers=bearer(seller)
        )
        assert relisted.status_code == 200, relisted.text
        assert (await day.bid(lot, 0, 10_000)).status_code == 409  # not open until its new day

        later = Day(api, clock, again)
        later.admin_ident, later.admin = day.admin_ident, day.admin
        clock.set(kst(again, 9))
        await _admin_at(later)
        await later.run("open")
        assert await day.status(lot) == "OPEN"
        placed = await day.bid(lot, 1, 10_000)
        assert placed.status_code == 201, placed.text
        assert placed.json()["closesAt"] == f"{again.isoformat()}T18:00:00+09:00"
        clock.set(kst(again, 18))
        await _admin_at(later)
        await later.run("close")
        assert await day.status(lot) == "SOLD"


async def test_a_lot_relisted_after_its_award_lapsed_gets_a_new_auction_and_a_new_winner(
    api_factory: ApiFactory, clock: ManualClock
) -> None:
    """The first auction's price, leader and award must not carry over: the new one starts at the
    start price, its winner gets an award of their own, and the lapsed award stays on file."""
    async with api_factory() as api:
        day = Day(api, clock, date(2031, 6, 4))
        (lot,) = await day.setup(1)
        clock.set(kst(day.day, 9))
        await _admin_at(day)
        await day.run("open")
        assert (await day.bid(lot, 0, 50_000)).status_code == 201
        clock.set(kst(day.day, 18))
        await _admin_at(day)
        await day.run("close")
        clock.set(kst(day.day, 18) + timedelta(hours=72))
        async with open_market(api.app.state.settings, clock) as market:
            assert (await market.days.expire_awards(trigger="test")).changed >= 1
        assert await day.status(lot) == "UNSOLD"
        again = day.day + timedelta(days=4)
        relisted = await api.post(
            f"/api/v1/lots/{lot}/relist",
            json={"auctionDay": again.isoformat()},
            headers=bearer(await day.token_of(day.seller_ident)),
        )
        assert relisted.status_code == 200, relisted.text

        later = Day(api, clock, again)
        later.admin_ident = day.admin_ident
        clock.set(kst(again, 9))
        await _admin_at(later)
        await later.run("open")
        detail = (await api.get(f"/api/v1/lots/{lot}")).json()
        assert (detail["currentPrice"], detail["bidCount"], detail["minimumNextBid"]) == (10_000, 0, 10_000)
        placed = await day.bid(lot, 1, 10_000)  # the start price again, not 50,000 + an increment
        assert placed.status_code == 201, placed.text
        assert (placed.json()["bidCount"], placed.json()["leading"]) == (1, True)
        clock.set(kst(again, 18))
        await _admin_at(later)
        await later.run("close")
        assert await day.status(lot) == "SOLD"
        first = (
            await api.get("/api/v1/me/awards", headers=bearer(await day.token_of(day.bidders[0])))
        ).json()
        second = (
            await api.get("/api/v1/me/awards", headers=bearer(await day.token_of(day.bidders[1])))
        ).json()
        assert [(a["lot"]["id"], a["amount"], a["status"]) for a in first["items"]] == [
            (lot, 50_000, "EXPIRED")
        ]
        assert [(a["lot"]["id"], a["amount"], a["status"]) for a in second["items"]] == [
            (lot, 10_000, "PAYMENT_DUE")
        ]
