"""Who may do what: one row per endpoint (API.md's "who" column), the expectation per role derived
from it, and what each refusal must look like.

How to add a row, when you add an endpoint (``test_every_route_has_a_row_and_every_row_a_route``
names the routes missing):

1. Write ``Row(method, route, who, ok)`` in ``API``, ``PAGES`` or ``SSE``: ``route`` exactly as
   Litestar lists it (``/api/v1/lots/{lot_id:int}``), ``who`` from API.md (or README), ``ok`` the
   success status.
2. ``path`` names the world's resource, by the names in ``World.ids`` (``/api/v1/lots/{scheduled}``);
   ``body`` is a dict (strings ``"{name}"`` become that id, keeping its type) or a ``Builder`` for
   a body that must be made per call (a fresh identity, the next bid).
3. If the row's refusal is not 403 ``FORBIDDEN`` say so in ``refused``; a role whose answer is
   neither follows from ``who`` goes in ``roles``. If an allowed call uses its subject up
   (withdrawing a lot), ``renew`` makes another one for each allowed caller.
4. ``check`` asserts what an allowed answer shows (only the caller's own items, no account ids).

Refusals (and ``Inert`` answers) must change nothing: the runner compares the world's rows and the
bid gate before and after each (and before and after each GET row). Rules, not rows, cover the
rest: every protected route is also called with bad credentials (expired, revoked, forged,
unsigned, garbage, a session cookie instead of a token) and every public one with a garbage token;
every page form without its CSRF token and with an ended or forged session; every path with
OPTIONS; and every API call carries its row's ``Idempotency-Key``, which must never replay another
caller's answer.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx

from tests.authz.world import ROLES, SIGNED_IN, Role, World
from tests.integration.helpers import PASSWORD, PNG, new_identity

__all__ = ["API", "PAGES", "SSE", "Expect", "Inert", "Ok", "Refused", "Row", "ToSignIn", "Who"]


class Who(Enum):
    ANYONE = "anyone"
    USER = "user"
    """Any signed-in caller."""
    SELLER = "seller"
    """The seller of the lot (or the uploader of the photo) the request names."""
    SELLER_OR_ADMIN = "seller, admin"
    WINNER = "winner"
    """The winner of the award (the buyer of the order) the request names."""
    ADMIN = "admin"
    NOBODY = "nobody"
    """No one: the thing is gone, or the request is forged."""


_ALLOWED: dict[Who, frozenset[Role]] = {
    Who.ANYONE: frozenset(ROLES),
    Who.USER: frozenset(SIGNED_IN),
    Who.SELLER: frozenset({Role.SELLER}),
    Who.SELLER_OR_ADMIN: frozenset({Role.SELLER, Role.ADMIN}),
    Who.WINNER: frozenset({Role.WINNER}),
    Who.ADMIN: frozenset({Role.ADMIN}),
    Who.NOBODY: frozenset(),
}


@dataclass(frozen=True)
class Ok:
    """Allowed: this status (state may change)."""

    status: int


@dataclass(frozen=True)
class Refused:
    """Refused with this status and ``code`` (a problem document; on pages, ``data-code``);
    nothing changed."""

    status: int
    code: str


@dataclass(frozen=True)
class Inert:
    """Answered with this status as if done, and nothing changed (nothing to refuse or reveal)."""

    status: int


@dataclass(frozen=True)
class ToSignIn:
    """A page for signed-in users, asked for without a session: 303 to the sign-in page; nothing changed."""


Expect = Ok | Refused | Inert | ToSignIn

UNAUTHENTICATED = Refused(401, "UNAUTHENTICATED")
FORBIDDEN = Refused(403, "FORBIDDEN")
NOT_FOUND = Refused(404, "NOT_FOUND")

Builder = Callable[[World, Role], Awaitable[dict[str, Any]]]
"""Makes a call's request (``httpx`` keyword arguments: ``json``, ``data``, ``files``, ``headers``)."""
Check = Callable[[World, Role, httpx.Response], None]


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    who: Who
    ok: int
    path: str = ""
    """The path called, ``{name}`` filled from ``World.ids``; the route itself when empty."""
    body: dict[str, Any] | Builder | None = None
    refused: Refused = FORBIDDEN
    """What a signed-in caller who is not ``who`` gets."""
    anonymous: Expect | None = None
    """What a caller without credentials gets; by default ``ok`` if anyone may, else 401 (pages:
    off to the sign-in page)."""
    roles: Mapping[Role, Expect] = field(default_factory=dict)
    """Roles whose answer ``who`` does not decide (the seller bidding on their own lot)."""
    renew: Callable[[World], Awaitable[dict[str, Any]]] | None = None
    """Fresh ids for each allowed call, when one uses its subject up."""
    check: Check | None = None
    fresh_session: bool = False
    """Pages: each signed-in caller uses a session of its own (signing out ends it)."""

    @property
    def name(self) -> str:
        return f"{self.method} {self.path or self.route}"

    def expect(self, role: Role, *, page: bool = False) -> Expect:
        if role in self.roles:
            return self.roles[role]
        if role in _ALLOWED[self.who]:
            return Ok(self.ok)
        if role is Role.ANONYMOUS:
            if self.anonymous is not None:
                return self.anonymous
            return ToSignIn() if page else UNAUTHENTICATED
        return self.refused

    def allowed(self) -> list[Role]:
        return [r for r in ROLES if isinstance(self.expect(r), Ok)]


# ====================================================================== bodies made per call
async def fresh_identity(world: World, role: Role) -> dict[str, Any]:
    return {"json": new_identity()}


async def spare_credentials(world: World, role: Role) -> dict[str, Any]:
    return {"json": {"email": world.spare["email"], "password": PASSWORD}}


async def fresh_refresh_token(world: World, role: Role) -> dict[str, Any]:
    """A refresh token is spent by its first use: every caller gets one of its own (the spare's)."""
    return {"json": {"refreshToken": (await world.sign_in(world.spare))["refreshToken"]}}


async def category_name(world: World, role: Role) -> dict[str, Any]:
    return {"json": {"name": f"분류 {uuid.uuid4().hex[:8]}"}}


async def next_bid(world: World, role: Role) -> dict[str, Any]:
    lot = (await world.api.get(f"/api/v1/lots/{world.ids['open']}")).json()
    return {"json": {"amount": lot["minimumNextBid"]}}


async def pay_to_pay(world: World, role: Role) -> dict[str, Any]:
    """Toss's success redirect for the winner's order ``to_pay``: the buyer authenticated."""
    window = world.toss.authenticate(world.ids["to_pay_order"], world.ids["amount"])
    return {"json": {"paymentKey": window.payment_key, "orderId": window.order_id, "amount": window.amount}}


async def webhook(world: World, role: Role) -> dict[str, Any]:
    """A notice claiming the paid order was cancelled: Toss, asked, says it was not."""
    body = {
        "eventType": "PAYMENT_STATUS_CHANGED",
        "createdAt": "2045-01-01T00:00:00.000000",
        "data": {
            "paymentKey": world.ids["paid_payment_key"],
            "orderId": world.ids["paid_order"],
            "status": "CANCELED",
        },
    }
    return {"json": body, "headers": {"tosspayments-webhook-transmission-id": uuid.uuid4().hex}}


async def signed_form(world: World, role: Role) -> dict[str, Any]:
    """The seller's presigned upload form and a photo, posted by whoever holds the form."""
    ticket = await world.fresh_ticket()
    return {"data": ticket["fields"], "files": {"file": ("photo", PNG, "image/png")}}


async def forged_form(world: World, role: Role) -> dict[str, Any]:
    ticket = await world.fresh_ticket()
    fields = {**ticket["fields"], "key": ticket["fields"]["key"].replace(".png", "0.png")}
    return {"data": fields, "files": {"file": ("photo", PNG, "image/png")}}


async def sell_form(world: World, role: Role) -> dict[str, Any]:
    return {
        "data": {
            "title": "나전칠기 함",
            "description": "통영",
            "categoryId": str(world.ids["category"]),
            "startPrice": "300,000",
            "bidIncrement": "10000",
            "auctionDay": world.ids["later"],
            "imageKeys": world.ids["web_upload"],
        }
    }


async def web_identity(world: World, role: Role) -> dict[str, Any]:
    return {"data": new_identity()}


async def web_spare_credentials(world: World, role: Role) -> dict[str, Any]:
    return {"data": {"email": world.spare["email"], "password": PASSWORD}}


async def web_next_bid(world: World, role: Role) -> dict[str, Any]:
    return {"data": {"amount": str((await next_bid(world, role))["json"]["amount"])}}


async def web_pay_web_to_pay(world: World, role: Role) -> dict[str, Any]:
    window = world.toss.authenticate(world.ids["web_to_pay_order"], world.ids["amount"])
    return {
        "data": {"paymentKey": window.payment_key, "orderId": window.order_id, "amount": str(window.amount)}
    }


async def renew_scheduled(world: World) -> dict[str, Any]:
    return {"scheduled": await world.fresh_scheduled_lot()}


async def renew_doomed_category(world: World) -> dict[str, Any]:
    made = await world.api.post(
        "/api/v1/categories", json={"name": f"분류 {uuid.uuid4().hex[:8]}"}, headers=world.headers(Role.ADMIN)
    )
    assert made.status_code == 201, made.text
    return {"doomed_category": made.json()["id"]}


# ====================================================================== what an allowed answer shows
def is_the_caller(world: World, role: Role, response: httpx.Response) -> None:
    assert response.json()["id"] == world.user_id(role), "another account's profile"


def own_lots_only(world: World, role: Role, response: httpx.Response) -> None:
    """The caller's listings, withdrawn ones too, and no one else's."""
    items = response.json()["items"]
    sellers = {item["seller"]["id"] for item in items}
    assert sellers <= {world.user_id(role)}, f"lots of sellers {sellers} listed as the caller's"
    missing = world.lots_of(role, "lots") - {item["id"] for item in items}
    assert not missing, f"the caller's lots {missing} are not listed"


def own_bids_only(world: World, role: Role, response: httpx.Response) -> None:
    shown = {item["lotId"] for item in response.json()["items"]}
    assert shown == world.bid_lots[role], f"bids on {shown}, the caller bid on {world.bid_lots[role]}"


def own_awards_only(world: World, role: Role, response: httpx.Response) -> None:
    shown = {item["id"] for item in response.json()["items"]}
    assert shown == world.awards_of(role), f"awards {shown}, the caller won {world.awards_of(role)}"


_ALIAS = re.compile(r"Bidder \d+")


def aliases_only(world: World, role: Role, response: httpx.Response) -> None:
    items = response.json()["items"]
    assert items, "no bids in the history"
    for item in items:
        assert set(item) == {"amount", "placedAt", "bidder"}, item
        assert _ALIAS.fullmatch(item["bidder"]), f"the history names {item['bidder']!r}"


def no_withdrawn_lot(world: World, role: Role, response: httpx.Response) -> None:
    shown = {item["id"] for item in response.json()["items"]}
    assert shown, "nothing listed"
    assert world.ids["withdrawn"] not in shown, "a withdrawn lot is listed"


def bid_placed(world: World, role: Role, response: httpx.Response) -> None:
    world.bid_lots[role].add(world.ids["open"])


def own_titles(kind: str) -> Check:
    """A page listing the caller's lots, bids or awards names exactly the caller's own lots."""

    def check(world: World, role: Role, response: httpx.Response) -> None:
        mine = world.lots_of(role, kind)
        for lot, title in world.titles.items():
            shown = title in response.text
            assert shown == (lot in mine), f"{title!r} {'shown' if shown else 'missing'} on {kind} page"
        if kind == "bids" and Role.ANONYMOUS is not role:
            for lot in mine:
                assert world.titles[lot] in response.text

    return check


def page_bid_placed(world: World, role: Role, response: httpx.Response) -> None:
    assert "data-code" not in response.text.split("bid-message", 1)[-1][:200], response.text
    bid_placed(world, role, response)


# ====================================================================== the JSON API and operations
LOT = "/api/v1/lots/{lot_id:int}"
LISTING = {
    "title": "나전칠기 함",
    "description": "통영",
    "categoryId": "{category}",
    "startPrice": 10_000,
    "bidIncrement": 1_000,
    "auctionDay": "{later}",
    "imageKeys": ["{upload}"],
}

API: list[Row] = [
    # --- accounts
    Row("POST", "/api/v1/accounts", Who.ANYONE, 201, body=fresh_identity),
    Row("POST", "/api/v1/auth/token", Who.ANYONE, 200, body=spare_credentials),
    Row("POST", "/api/v1/auth/refresh", Who.ANYONE, 200, body=fresh_refresh_token),
    # Logging out someone else's session is answered like one's own and ends nothing: a 403 would
    # confirm that the token is a live one of somebody's.
    Row(
        "POST",
        "/api/v1/auth/logout",
        Who.SELLER,
        204,
        body={"refreshToken": "{seller_refresh}"},
        roles={r: Inert(204) for r in (Role.USER, Role.WINNER, Role.OTHER, Role.ADMIN)},
    ),
    Row("GET", "/api/v1/me", Who.USER, 200, check=is_the_caller),
    # --- categories
    Row("GET", "/api/v1/categories", Who.ANYONE, 200),
    Row("POST", "/api/v1/categories", Who.ADMIN, 201, body=category_name),
    Row(
        "PATCH",
        "/api/v1/categories/{category_id:int}",
        Who.ADMIN,
        200,
        path="/api/v1/categories/{spare_category}",
        body=category_name,
    ),
    Row(
        "DELETE",
        "/api/v1/categories/{category_id:int}",
        Who.ADMIN,
        204,
        path="/api/v1/categories/{doomed_category}",
    ),
    # --- photos
    Row("POST", "/api/v1/uploads/images", Who.USER, 201, body={"contentType": "image/png", "size": len(PNG)}),
    # The signed form is the upload's authorisation (as a presigned S3 POST is), whoever sends it.
    Row("POST", "/api/v1/uploads/local", Who.ANYONE, 204, body=signed_form),
    Row(
        "POST",
        "/api/v1/uploads/local",
        Who.NOBODY,
        0,
        body=forged_form,
        refused=Refused(403, "UPLOAD_POLICY_VIOLATED"),
        anonymous=Refused(403, "UPLOAD_POLICY_VIOLATED"),
    ),
    Row("GET", "/media/{key:path}", Who.ANYONE, 200, path="/media/{photo}"),
    # --- lots
    # Only the uploader may list with a photo: another caller's key is refused as input.
    Row(
        "POST",
        "/api/v1/lots",
        Who.SELLER,
        201,
        body=LISTING,
        refused=Refused(422, "IMAGE_KEY_INVALID"),
    ),
    Row(
        "GET",
        "/api/v1/lots",
        Who.ANYONE,
        200,
        path="/api/v1/lots?sellerId={seller_id}&status=WITHDRAWN&status=SCHEDULED&size=100",
        check=no_withdrawn_lot,
    ),
    Row("GET", "/api/v1/lots/featured", Who.ANYONE, 200),
    Row("GET", LOT, Who.ANYONE, 200, path="/api/v1/lots/{scheduled}"),
    # A withdrawn lot is gone for everyone (its seller finds it under /me/lots).
    Row("GET", LOT, Who.NOBODY, 0, path="/api/v1/lots/{withdrawn}", refused=NOT_FOUND, anonymous=NOT_FOUND),
    Row("PATCH", LOT, Who.SELLER, 200, path="/api/v1/lots/{scheduled}", body={"description": "고친 설명"}),
    Row(
        "PATCH",
        LOT,
        Who.NOBODY,
        0,
        path="/api/v1/lots/{scheduled}",
        body={"imageKeys": ["{other_upload}"]},
        roles={Role.SELLER: Refused(422, "IMAGE_KEY_INVALID")},
    ),
    Row("DELETE", LOT, Who.SELLER_OR_ADMIN, 204, path="/api/v1/lots/{scheduled}", renew=renew_scheduled),
    # Whether a withdrawn lot exists is its seller's and the admins' business: others get 404.
    Row(
        "DELETE",
        LOT,
        Who.NOBODY,
        0,
        path="/api/v1/lots/{withdrawn}",
        refused=NOT_FOUND,
        roles={Role.SELLER: Refused(409, "LOT_LOCKED"), Role.ADMIN: Refused(409, "LOT_LOCKED")},
    ),
    Row(
        "POST",
        "/api/v1/lots/{lot_id:int}/relist",
        Who.SELLER,
        200,
        path="/api/v1/lots/{unsold}/relist",
        body={"auctionDay": "{later}"},
    ),
    Row("GET", "/api/v1/me/lots", Who.USER, 200, path="/api/v1/me/lots?size=100", check=own_lots_only),
    # --- bids
    Row(
        "POST",
        "/api/v1/lots/{lot_id:int}/bids",
        Who.USER,
        201,
        path="/api/v1/lots/{open}/bids",
        body=next_bid,
        roles={Role.SELLER: Refused(403, "OWN_LOT")},
        check=bid_placed,
    ),
    Row(
        "GET",
        "/api/v1/lots/{lot_id:int}/bids",
        Who.ANYONE,
        200,
        path="/api/v1/lots/{open}/bids",
        check=aliases_only,
    ),
    Row(
        "GET",
        "/api/v1/lots/{lot_id:int}/bids",
        Who.NOBODY,
        0,
        path="/api/v1/lots/{withdrawn}/bids",
        refused=NOT_FOUND,
        anonymous=NOT_FOUND,
    ),
    Row("GET", "/api/v1/me/bids", Who.USER, 200, path="/api/v1/me/bids?size=100", check=own_bids_only),
    # --- search
    Row(
        "GET",
        "/api/v1/search/lots",
        Who.ANYONE,
        200,
        path="/api/v1/search/lots?status=WITHDRAWN&status=SCHEDULED&auctionDay={later}&size=100",
        check=no_withdrawn_lot,
    ),
    # --- awards and payment
    Row("GET", "/api/v1/me/awards", Who.USER, 200, path="/api/v1/me/awards?size=100", check=own_awards_only),
    Row(
        "POST",
        "/api/v1/awards/{award_id:int}/checkout",
        Who.WINNER,
        201,
        path="/api/v1/awards/{award}/checkout",
    ),
    Row("POST", "/api/v1/payments/confirm", Who.WINNER, 200, body=pay_to_pay),
    # Anyone may deliver a notice (Toss signs none); it is acted on only as Toss answers when asked.
    Row(
        "POST",
        "/api/v1/payments/webhooks/toss",
        Who.ANYONE,
        200,
        body=webhook,
        roles={r: Inert(200) for r in ROLES},
    ),
    Row(
        "POST",
        "/api/v1/admin/payments/{order_id:str}/refund",
        Who.ADMIN,
        200,
        path="/api/v1/admin/payments/{paid_order}/refund",
        body={"reason": "판매자 요청"},
    ),
    # --- operations
    Row(
        "POST",
        "/api/v1/admin/auction-days/{day:str}/{transition:str}",
        Who.ADMIN,
        200,
        path="/api/v1/admin/auction-days/{today}/open",
    ),
    Row("GET", "/health/live", Who.ANYONE, 200),
    Row("GET", "/health/ready", Who.ANYONE, 200),
    Row("GET", "/health/bid-writer", Who.ANYONE, 200),
    Row("GET", "/health/search-indexer", Who.ANYONE, 200),
    *[
        Row("GET", route, Who.ANYONE, 200)
        for route in ("/schema", "/schema/openapi.json", "/schema/swagger", "/schema/oauth2-redirect.html")
    ],
    Row("GET", "/schema/{path:str}", Who.ANYONE, 404, path="/schema/no-such-page"),
]


# ====================================================================== the web pages (session cookie + CSRF)
PAGES: list[Row] = [
    Row("GET", "/", Who.ANYONE, 200),
    Row("GET", "/search", Who.ANYONE, 200),
    Row("GET", "/lots/{lot_id:int}", Who.ANYONE, 200, path="/lots/{open}"),
    Row(
        "GET",
        "/lots/{lot_id:int}",
        Who.NOBODY,
        0,
        path="/lots/{withdrawn}",
        refused=NOT_FOUND,
        anonymous=NOT_FOUND,
    ),
    Row("GET", "/lots/{lot_id:int}/history", Who.ANYONE, 200, path="/lots/{open}/history"),
    Row(
        "GET",
        "/lots/{lot_id:int}/history",
        Who.NOBODY,
        0,
        path="/lots/{withdrawn}/history",
        refused=NOT_FOUND,
        anonymous=NOT_FOUND,
    ),
    Row(
        "POST",
        "/lots/{lot_id:int}/bids",
        Who.USER,
        200,
        path="/lots/{open}/bids",
        body=web_next_bid,
        roles={Role.SELLER: Refused(403, "OWN_LOT")},
        check=page_bid_placed,
    ),
    Row("GET", "/signin", Who.ANYONE, 200),
    Row("POST", "/signin", Who.ANYONE, 303, body=web_spare_credentials),
    Row("GET", "/signup", Who.ANYONE, 200),
    Row("POST", "/signup", Who.ANYONE, 303, body=web_identity),
    Row("POST", "/signout", Who.ANYONE, 303, fresh_session=True),
    Row("GET", "/sell", Who.USER, 200),
    Row("POST", "/sell", Who.SELLER, 303, body=sell_form, refused=Refused(422, "IMAGE_KEY_INVALID")),
    Row("POST", "/sell/uploads", Who.USER, 201, body={"contentType": "image/png", "size": len(PNG)}),
    Row("GET", "/me/lots", Who.USER, 200, check=own_titles("lots")),
    Row("GET", "/me/bids", Who.USER, 200, check=own_titles("bids")),
    Row("GET", "/me/awards", Who.USER, 200, check=own_titles("awards")),
    Row("POST", "/me/awards/{award_id:int}/pay", Who.WINNER, 200, path="/me/awards/{award}/pay"),
    Row("GET", "/pay/success", Who.USER, 200, path="/pay/success?paymentKey=k&orderId={order}&amount=10000"),
    Row("POST", "/pay/confirm", Who.WINNER, 200, body=web_pay_web_to_pay),
    Row("GET", "/pay/fail", Who.ANYONE, 200, path="/pay/fail?code=PAY_PROCESS_CANCELED"),
    Row("GET", "/static/web/{file_path:path}", Who.ANYONE, 200, path="/static/web/htmx.min.js"),
    Row("HEAD", "/static/web/{file_path:path}", Who.ANYONE, 200, path="/static/web/htmx.min.js"),
]

# ====================================================================== the SSE service (no credentials)
SSE: list[Row] = [
    Row("GET", "/sse/v1/lots/{lot_id:int}/events", Who.ANYONE, 200, path="/sse/v1/lots/{open}/events"),
    Row(
        "GET",
        "/sse/v1/lots/{lot_id:int}/events",
        Who.NOBODY,
        0,
        path="/sse/v1/lots/{withdrawn}/events",
        refused=NOT_FOUND,
        anonymous=NOT_FOUND,
    ),
    Row("GET", "/health/streams", Who.ANYONE, 200),
    Row("GET", "/health/live", Who.ANYONE, 200),
    Row("GET", "/health/ready", Who.ANYONE, 200),
    *[
        Row("GET", route, Who.ANYONE, 200)
        for route in ("/schema", "/schema/openapi.json", "/schema/swagger", "/schema/oauth2-redirect.html")
    ],
    Row("GET", "/schema/{path:str}", Who.ANYONE, 404, path="/schema/no-such-page"),
]
