"""The authorisation matrix's world: one seller's lots in every state, a winner, another user who owns
resources of every kind too, a user with no relation to anything, an admin — and ways to look at
what the database and the bid gate hold, so a refusal can be shown to have changed nothing.

Built over HTTP, as clients build it, with the clock port standing at each moment the story needs:
yesterday's day closed (awards, orders, a paid one), today's day open (bids by several users), and
lots listed for the day after tomorrow. The matrix then runs at 10:00 KST today.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import random
import re
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import httpx
import jwt
from litestar.testing import AsyncTestClient
from sqlalchemy import ColumnElement, String, Table, cast, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from sagopalgo.accounts.adapters.sql.tables import refresh_tokens, sessions, users
from sagopalgo.accounts.adapters.tokens import ALGORITHM, AUDIENCE, ISSUER, ClockedToken
from sagopalgo.bidding.adapters.sql.tables import awards, bids, day_runs, lot_states
from sagopalgo.catalog.adapters.sql.tables import categories, lots, uploads
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.payments.adapters.fake_toss import FakeToss
from sagopalgo.payments.adapters.sql.tables import orders
from sagopalgo.platform.sql import create_engine
from tests.conftest import JWT_SECRET
from tests.integration.helpers import (
    PASSWORD,
    PNG,
    bearer,
    lot_body,
    new_identity,
    promote,
    send_file,
)
from tests.integration.test_auction_day import kst

__all__ = ["Browser", "Role", "World", "build_world"]


class Role(StrEnum):
    """Who calls, relative to the resource a row names (API.md's "who" column)."""

    ANONYMOUS = "anonymous"
    """No token, no session cookie."""
    USER = "user"
    """Signed in, with no lot, upload, bid, award or order anywhere."""
    SELLER = "seller"
    """Listed the lot in question (and uploaded its photos)."""
    WINNER = "winner"
    """Won the award in question, and owns its orders."""
    OTHER = "other"
    """Owns resources of every kind too — a lot, uploads, bids, an award, an order — but not these."""
    ADMIN = "admin"


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')

SIGNED_IN = (Role.USER, Role.SELLER, Role.WINNER, Role.OTHER, Role.ADMIN)
ROLES = (Role.ANONYMOUS, *SIGNED_IN)


@dataclass
class Account:
    ident: dict[str, str]
    id: int
    token: str = ""
    """An access token valid at the matrix's moment."""
    revoked_token: str = ""
    """An access token of a session that has since been signed out."""
    title: str = ""
    """Titles of this account's lots start with this, so a page can be searched for them."""


class Browser:
    """One browser: a cookie jar of its own, swapped into the shared test client for each request,
    and the CSRF token its last page carried."""

    def __init__(self, api: AsyncTestClient[Any], jar: httpx.Cookies | None = None, token: str = "") -> None:
        self.api, self.jar, self.token = api, httpx.Cookies(jar), token

    def copy(self) -> Browser:
        """A throwaway copy: what a row's request does to cookies never reaches the role's browser."""
        return Browser(self.api, self.jar, self.token)

    async def request(
        self,
        method: str,
        path: str,
        *,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
        data: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """``csrf``: send the page's token (the form field, or the header with a JSON body)."""
        sent = dict(headers or {})
        if method == "POST" and csrf:
            if json is not None:
                sent["x-csrftoken"] = self.token
            else:
                data = {"_csrf_token": self.token, **(data or {})}
        self.api.cookies = self.jar
        try:
            response = await self.api.request(
                method, path, headers=sent, data=data, json=json, follow_redirects=False
            )
        finally:
            self.jar = httpx.Cookies(self.api.cookies)
            self.api.cookies.clear()
        found = _CSRF_META.search(response.text) if method == "GET" else None
        if found:
            self.token = found.group(1)
        return response

    async def sign_in(self, ident: dict[str, str]) -> None:
        await self.request("GET", "/signin")
        signed = await self.request("POST", "/signin", data={"email": ident["email"], "password": PASSWORD})
        assert signed.status_code == 303, signed.text


@dataclass
class World:
    api: AsyncTestClient[Any]
    clock: ManualClock
    toss: FakeToss
    accounts: dict[Role, Account]
    spare: dict[str, str]
    """An account no role is: the credentials rows sign in with."""
    ids: dict[str, Any]
    """What rows name: ``{"scheduled": 12, "order": "sgp-…", "photo": "lots/…", ...}``."""
    browsers: dict[Role, Browser] = field(default_factory=dict)
    ended_browsers: dict[Role, Browser] = field(default_factory=dict)
    """Per role, a browser whose session was signed out elsewhere (its cookie still decrypts)."""
    marks: dict[str, int] = field(default_factory=dict)
    """The largest ids before the world was built: what is newer is the world's own."""
    engine: AsyncEngine | None = None
    bid_lots: dict[Role, set[int]] = field(default_factory=dict)
    """The lots each role has bid on (``/me/bids`` must show exactly these)."""
    known: dict[str, Any] | None = None
    """The state last seen, while nothing has happened since that could have changed it."""
    later: date = date.min
    """The day after tomorrow: scheduled lots are listed for it."""
    titles: dict[int, str] = field(default_factory=dict)
    """Every lot's title (unique in this world, so a page can be searched for it)."""
    listed_by: dict[int, int] = field(default_factory=dict)
    """Lot → its seller's account id."""
    won: dict[Role, set[str]] = field(default_factory=dict)
    """The names (in ``ids``) of the lots each role won."""

    # ------------------------------------------------------------------ identities
    def token(self, role: Role) -> str:
        return self.accounts[role].token

    def headers(self, role: Role) -> dict[str, str]:
        return {} if role is Role.ANONYMOUS else bearer(self.token(role))

    def user_id(self, role: Role) -> int | None:
        return None if role is Role.ANONYMOUS else self.accounts[role].id

    def lots_of(self, role: Role, kind: str) -> set[int]:
        """The lots a page of the caller's own must list: theirs, bid on, or won."""
        if kind == "lots":
            return {lot for lot, seller in self.listed_by.items() if seller == self.user_id(role)}
        if kind == "bids":
            return set(self.bid_lots.get(role, set()))
        return {self.ids[name] for name in self.won.get(role, set())}

    def awards_of(self, role: Role) -> set[int]:
        return {self.ids[f"{name}_award"] for name in self.won.get(role, set())}

    def bad_tokens(self, role: Role) -> dict[str, str]:
        """Credentials that must never authenticate, each shaped like ``role``'s own token."""
        account = self.accounts[role]
        claims = jwt.decode(account.token, options={"verify_signature": False})
        now = self.clock.now()
        expired = ClockedToken(
            sub=claims["sub"],
            exp=now - timedelta(seconds=1),
            iat=now - timedelta(minutes=15),
            iss=ISSUER,
            aud=AUDIENCE,
            sid=claims["sid"],
        ).encode(JWT_SECRET, ALGORITHM)
        header, _, signature = account.token.split(".")
        victim = Role.SELLER if role is Role.ADMIN else Role.ADMIN
        someone_else = {**claims, "sub": str(self.accounts[victim].id)}
        tampered = ".".join([header, _b64(someone_else), signature])
        unsigned = ".".join([_b64({"alg": "none", "typ": "JWT"}), account.token.split(".")[1], ""])
        return {
            "expired": expired,
            "unsigned (alg none)": unsigned,
            "revoked": account.revoked_token,
            "signed with another key": jwt.encode(claims, "not-the-key-" + "x" * 40, algorithm=ALGORITHM),
            "claims of another user": tampered,
            "garbage": "not-a-token",
        }

    async def sign_in(self, ident: dict[str, str]) -> dict[str, Any]:
        pair = await self.api.post("/api/v1/auth/token", json={"email": ident["email"], "password": PASSWORD})
        assert pair.status_code == 200, pair.text
        body: dict[str, Any] = pair.json()
        return body

    # ------------------------------------------------------------------ fresh resources for rows
    async def fresh_scheduled_lot(self) -> int:
        """Another of the seller's lots for the day after tomorrow (for a row that withdraws one)."""
        seller = self.accounts[Role.SELLER]
        key = await upload(self.api, seller.token)
        return await list_lot(self, seller, key, self.later, "다시")

    async def fresh_ticket(self) -> dict[str, Any]:
        """A presigned upload of the seller's, not yet sent."""
        ticket = await self.api.post(
            "/api/v1/uploads/images",
            json={"contentType": "image/png", "size": len(PNG)},
            headers=self.headers(Role.SELLER),
        )
        assert ticket.status_code == 201, ticket.text
        body: dict[str, Any] = ticket.json()
        return body

    # ------------------------------------------------------------------ what changed
    async def state(self) -> dict[str, Any]:
        """The world's rows in every table a request could change, and the bid gate's open lot.

        Scoped to what the world created (ids above ``marks``), so tests that shared this database
        before cost nothing. The search index is left out: it follows the catalog on its own.
        """
        assert self.engine is not None
        out: dict[str, Any] = {}
        async with self.engine.connect() as conn:
            for name, row in await conn.execute(self._everything):
                out.setdefault(name, []).append(row)
        lot = (await self.api.get(f"/api/v1/lots/{self.ids['open']}")).json()
        out["gate"] = (lot["currentPrice"], lot["bidCount"], lot["closesAt"])
        return out

    @functools.cached_property
    def _everything(self) -> Any:
        """One query for all of it, built once (a few hundred snapshots are taken): a row as a string."""
        parts = []
        for table, where in self._scopes():
            text: list[ColumnElement[str]] = [
                func.coalesce(cast(c, String), literal("∅")) for c in table.columns
            ]
            joined = functools.reduce(lambda a, b: a + literal("|") + b, text)
            parts.append(select(literal(table.name).label("t"), joined.label("r")).where(where))
        everything = union_all(*parts).subquery()
        return select(everything.c.t, everything.c.r).order_by(everything.c.t, everything.c.r)

    def _scopes(self) -> Iterable[tuple[Table, Any]]:
        new_user, new_lot = self.marks["users"], self.marks["lots"]
        yield users, users.c.id > new_user
        yield sessions, sessions.c.user_id > new_user
        yield refresh_tokens, refresh_tokens.c.user_id > new_user
        yield categories, categories.c.id > self.marks["categories"]
        yield lots, lots.c.id > new_lot
        yield uploads, uploads.c.owner_id > new_user
        yield bids, bids.c.lot_id > new_lot
        yield lot_states, lot_states.c.lot_id > new_lot
        yield awards, awards.c.lot_id > new_lot
        yield day_runs, day_runs.c.id > self.marks["day_runs"]
        yield orders, orders.c.buyer_id > new_user

    async def settle(self) -> None:
        """Wait (bounded) until the bid-log writer has copied the gate's open lot into the database:
        accepted bids reach the tables a moment after their answer."""
        assert self.engine is not None
        for _ in range(200):
            live = (await self.api.get(f"/api/v1/lots/{self.ids['open']}")).json()
            async with self.engine.connect() as conn:
                stored = (
                    await conn.execute(select(lots.c.bid_count).where(lots.c.id == self.ids["open"]))
                ).scalar_one()
                written = (
                    await conn.execute(
                        select(func.count()).select_from(bids).where(bids.c.lot_id == self.ids["open"])
                    )
                ).scalar_one()
            if stored == live["bidCount"] and written >= live["bidCount"]:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the bid-log writer did not catch up with the gate")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def upload(api: AsyncTestClient[Any], token: str) -> str:
    ticket = await api.post(
        "/api/v1/uploads/images", json={"contentType": "image/png", "size": len(PNG)}, headers=bearer(token)
    )
    assert ticket.status_code == 201, ticket.text
    assert await send_file(api, ticket.json(), PNG) in (200, 201, 204)
    return str(ticket.json()["key"])


async def list_lot(world: World, account: Account, key: str, day: date, name: str) -> int:
    body = lot_body(
        world.ids["category"],
        [key],
        day.isoformat(),
        title=f"{account.title} {name}",
        startPrice=10_000,
        bidIncrement=1_000,
    )
    created = await world.api.post("/api/v1/lots", json=body, headers=bearer(account.token))
    assert created.status_code == 201, created.text
    lot = int(created.json()["id"])
    world.titles[lot], world.listed_by[lot] = body["title"], account.id
    return lot


async def _marks(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        found = {}
        for name, column in (
            ("users", users.c.id),
            ("lots", lots.c.id),
            ("categories", categories.c.id),
            ("day_runs", day_runs.c.id),
        ):
            found[name] = (await conn.execute(select(func.coalesce(func.max(column), 0)))).scalar_one()
    return found


def _world_day() -> date:
    """Yesterday of this world: a day of its own, so worlds sharing a worker's MariaDB never meet."""
    return date(2045, 1, 1) + timedelta(days=random.randrange(20_000))


@asynccontextmanager
async def build_world(api: AsyncTestClient[Any], clock: ManualClock, toss: FakeToss) -> AsyncIterator[World]:
    engine = create_engine(api.app.state.settings.database_url)
    try:
        world = World(api, clock, toss, {}, {}, {}, engine=engine, marks=await _marks(engine))
        await _populate(world)
        yield world
    finally:
        await engine.dispose()


async def _populate(world: World) -> None:
    api, clock, ids = world.api, world.clock, world.ids
    yesterday = _world_day()
    today, later = yesterday + timedelta(days=1), yesterday + timedelta(days=3)
    world.later = later
    ids.update(yesterday=yesterday.isoformat(), today=today.isoformat(), later=later.isoformat())

    # --- the day before yesterday, noon: accounts, categories, photos, listings
    clock.set(kst(yesterday - timedelta(days=1), 12))
    for role in SIGNED_IN:
        ident = new_identity()
        created = await api.post("/api/v1/accounts", json=ident)
        assert created.status_code == 201, created.text
        world.accounts[role] = Account(
            ident, int(created.json()["id"]), title=f"{role.value}-{uuid.uuid4().hex[:6]}"
        )
    world.spare = new_identity()
    assert (await api.post("/api/v1/accounts", json=world.spare)).status_code == 201
    await promote(api, world.accounts[Role.ADMIN].id)
    ids["seller_id"] = world.accounts[Role.SELLER].id
    await _tokens(world)

    admin, seller, winner, other = (
        world.accounts[r] for r in (Role.ADMIN, Role.SELLER, Role.WINNER, Role.OTHER)
    )
    for name in ("category", "spare_category", "doomed_category"):
        made = await api.post(
            "/api/v1/categories", json={"name": f"분류 {uuid.uuid4().hex[:8]}"}, headers=bearer(admin.token)
        )
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]

    listed: dict[str, int] = {}
    for name, who, day in (
        ("sold", seller, yesterday),  # won by the winner, whose order for it stays open
        ("to_pay", seller, yesterday),  # won by the winner, paid through the API by the matrix
        ("web_to_pay", seller, yesterday),  # won by the winner, paid through the pages by the matrix
        ("paid", seller, yesterday),  # won and paid by the winner; the matrix's admin refunds it
        ("unsold", seller, yesterday),  # nobody bid
        ("other_won", seller, yesterday),  # won by the other user, whose order stays open
        ("open", seller, today),  # open now, with bids by several users
        ("scheduled", seller, later),
        ("withdrawn", seller, later),
        ("other_lot", other, later),  # the other user's own listing
    ):
        key = await upload(api, who.token)
        ids.setdefault("photo", key)
        listed[name] = await list_lot(world, who, key, day, name)
    ids.update(listed)
    ids["upload"] = await upload(api, seller.token)  # sent, never used: the seller may list with it
    ids["web_upload"] = await upload(api, seller.token)
    ids["other_upload"] = await upload(api, other.token)
    withdrawn = await api.delete(f"/api/v1/lots/{ids['withdrawn']}", headers=bearer(seller.token))
    assert withdrawn.status_code == 204, withdrawn.text
    ids["seller_refresh"] = (await world.sign_in(seller.ident))["refreshToken"]  # a session rows end

    # --- yesterday: the day runs; the winner and the other user bid, then it closes
    clock.set(kst(yesterday, 9))
    await _tokens(world)
    await _run_day(world, yesterday, "open")
    world.bid_lots = {role: set() for role in ROLES}
    for lot, bidder in (
        ("sold", Role.OTHER),  # outbid below: the other user loses this one
        ("sold", Role.WINNER),
        ("to_pay", Role.WINNER),
        ("web_to_pay", Role.WINNER),
        ("paid", Role.WINNER),
        ("other_won", Role.OTHER),
    ):
        await _bid(world, bidder, ids[lot])
    clock.set(kst(yesterday, 18))
    await _tokens(world)
    await _run_day(world, yesterday, "close")
    won = await api.get("/api/v1/me/awards", headers=bearer(winner.token), params={"size": 100})
    award_of = {a["lot"]["id"]: a["id"] for a in won.json()["items"]}
    theirs = await api.get("/api/v1/me/awards", headers=bearer(other.token), params={"size": 100})
    award_of |= {a["lot"]["id"]: a["id"] for a in theirs.json()["items"]}
    for name in ("sold", "to_pay", "web_to_pay", "paid", "other_won"):
        ids[f"{name}_award"] = award_of[ids[name]]
    ids["award"], ids["other_award"] = ids["sold_award"], ids["other_won_award"]
    world.won = {Role.WINNER: {"sold", "to_pay", "web_to_pay", "paid"}, Role.OTHER: {"other_won"}}
    for name, who in (
        ("sold", winner),
        ("to_pay", winner),
        ("web_to_pay", winner),
        ("paid", winner),
        ("other_won", other),
    ):
        checkout = await api.post(
            f"/api/v1/awards/{ids[f'{name}_award']}/checkout", headers=bearer(who.token)
        )
        assert checkout.status_code == 201, checkout.text
        ids[f"{name}_order"] = checkout.json()["orderId"]
        ids["amount"] = checkout.json()["amount"]
    ids["order"], ids["other_order"] = ids["sold_order"], ids["other_won_order"]
    window = world.toss.authenticate(ids["paid_order"], ids["amount"])
    paid = await api.post(
        "/api/v1/payments/confirm",
        json={"paymentKey": window.payment_key, "orderId": ids["paid_order"], "amount": ids["amount"]},
        headers=bearer(winner.token),
    )
    assert paid.status_code == 200, paid.text
    ids["paid_payment_key"] = window.payment_key

    # --- today, 10:00: today's lot is open and has bids by several users; the matrix runs now
    clock.set(kst(today, 9))
    await _tokens(world)
    await _run_day(world, today, "open")
    clock.set(kst(today, 10))
    await _tokens(world)
    for bidder in (Role.WINNER, Role.OTHER):
        await _bid(world, bidder, ids["open"])
    await _revoked_tokens(world)
    await _browsers(world)
    await world.settle()


async def _tokens(world: World) -> None:
    """Sign every role in at the clock's current moment (access tokens live 15 minutes)."""
    for account in world.accounts.values():
        account.token = (await world.sign_in(account.ident))["accessToken"]


async def _revoked_tokens(world: World) -> None:
    for account in world.accounts.values():
        pair = await world.sign_in(account.ident)
        out = await world.api.post(
            "/api/v1/auth/logout",
            json={"refreshToken": pair["refreshToken"]},
            headers=bearer(pair["accessToken"]),
        )
        assert out.status_code == 204, out.text
        account.revoked_token = pair["accessToken"]


async def _browsers(world: World) -> None:
    """A browser per role: signed in through the pages, and one whose session was signed out."""
    anonymous = Browser(world.api)
    await anonymous.request("GET", "/")
    world.browsers[Role.ANONYMOUS] = anonymous
    for role in SIGNED_IN:
        browser = Browser(world.api)
        await browser.sign_in(world.accounts[role].ident)
        world.browsers[role] = browser
        ended = Browser(world.api)
        await ended.sign_in(world.accounts[role].ident)
        out = await ended.copy().request("POST", "/signout")
        assert out.status_code == 303, out.text
        world.ended_browsers[role] = ended


async def _run_day(world: World, day: date, transition: str) -> None:
    ran = await world.api.post(
        f"/api/v1/admin/auction-days/{day.isoformat()}/{transition}", headers=world.headers(Role.ADMIN)
    )
    assert ran.status_code == 200, ran.text


async def _bid(world: World, role: Role, lot: int) -> None:
    minimum = (await world.api.get(f"/api/v1/lots/{lot}")).json()["minimumNextBid"]
    placed = await world.api.post(
        f"/api/v1/lots/{lot}/bids", json={"amount": minimum}, headers=world.headers(role)
    )
    assert placed.status_code == 201, placed.text
    world.bid_lots[role].add(lot)
