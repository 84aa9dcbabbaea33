"""A stateful walk the inferred links cannot take: sign up, sign in, list, look, bid, look again.

Schemathesis's stateful phase follows the links it infers from the document (an id from one
answer into the next path), but a random body almost never clears the bidding rules, so its runs
stop at ``BID_TOO_LOW``. This walk makes the requests a client makes — bids at, around and below
``minimumNextBid``, with and without a maximum, repeated with the same or another
``Idempotency-Key`` body — by several bidders at once on the open lot, and holds every answer to
the document (the same checks as the fuzzer) and to API.md: the live price (a bid's answer, the
lot's page) never goes back; a list's copy never goes back either, and never runs ahead of it.
"""

import random
import uuid
from typing import Any

import schemathesis
from litestar import Litestar

from sagopalgo.testing.fuzz import fuzz_config
from tests.fuzz.market import Market
from tests.integration.helpers import PASSWORD

STEPS = 120


class Walk:
    def __init__(self, app: Litestar, market: Market, rng: random.Random) -> None:
        self.schema = schemathesis.openapi.from_asgi(
            "/schema/openapi.json", app, config=fuzz_config(headers={}, max_examples=1)
        )
        self.market, self.rng = market, rng
        self.lot = market.open_lot
        self.bidders = [market.tokens["winner"], market.tokens["bidder"]]
        self.seen = 0
        """The highest live price shown: by a bid's answer or the lot's own page (the gate's)."""
        self.listed = 0
        """The highest price a list has shown: a copy the bid-log writer keeps, so it may lag."""
        self.keys: list[tuple[str, str, dict[str, int], dict[str, Any]]] = []
        """Accepted bids sent with a key: the token, the key, the body and the first answer."""
        self.statuses: dict[str, int] = {}

    def call(self, method: str, path: str, token: str | None = None, **parts: Any) -> Any:
        headers = dict(parts.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        case = self.schema[path][method].Case(headers=headers, **parts)
        response = case.call()
        case.validate_response(response)  # the fuzzer's checks: documented, no 5xx, problems with codes
        key = f"{method} {path} {response.status_code}"
        self.statuses[key] = self.statuses.get(key, 0) + 1
        return response

    def price(self, shown: int) -> None:
        assert shown >= self.seen, f"the price went back from {self.seen:,} to {shown:,}"
        self.seen = shown

    def sign_up(self) -> None:
        tag = uuid.uuid4().hex[:10]
        ident = {"email": f"walk{tag}@example.com", "username": f"walk{tag}", "password": PASSWORD}
        assert self.call("POST", "/api/v1/accounts", body=ident).status_code == 201
        body = {"email": ident["email"], "password": PASSWORD}
        tokens = self.call("POST", "/api/v1/auth/token", body=body)
        assert tokens.status_code == 200
        self.bidders.append(tokens.json()["accessToken"])

    def browse(self) -> None:
        listed = self.call("GET", "/api/v1/lots", query={"status": "OPEN", "size": 100}).json()
        ours = [lot for lot in listed["items"] if lot["id"] == self.lot]
        assert ours, "the open lot is not listed as OPEN"
        shown = ours[0]["currentPrice"]
        assert self.listed <= shown <= self.seen, (self.listed, shown, self.seen)
        self.listed = shown

    def look(self) -> dict[str, Any]:
        lot: dict[str, Any] = self.call(
            "GET", "/api/v1/lots/{lot_id}", path_parameters={"lot_id": self.lot}
        ).json()
        self.price(lot["currentPrice"])
        return lot

    def history(self) -> None:
        page = self.call(
            "GET", "/api/v1/lots/{lot_id}/bids", path_parameters={"lot_id": self.lot}, query={"size": 100}
        ).json()
        amounts = [bid["amount"] for bid in page["items"]]
        assert amounts == sorted(set(amounts), reverse=True), amounts  # newest first, each higher

    def bid(self) -> None:
        lot = self.look()
        floor, step = lot["minimumNextBid"], lot["bidIncrement"]
        amount = floor + self.rng.choice([-step, -1, 0, 0, 0, 1, step, 3 * step])
        body = {"amount": amount}
        if self.rng.random() < 0.4:
            body["maxAmount"] = amount + self.rng.choice([-1, 0, step, 5 * step])
        token = self.rng.choice(self.bidders)
        headers = {}
        first: dict[str, Any] | None = None
        if self.keys and self.rng.random() < 0.2:  # a double click, or a retry with another body
            token, key, sent, answered = self.rng.choice(self.keys)
            body, first = (
                (sent, answered)
                if self.rng.random() < 0.5
                else ({**sent, "amount": sent["amount"] + 1}, None)
            )
            headers["Idempotency-Key"] = key
        elif self.rng.random() < 0.5:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        answer = self.call(
            "POST",
            "/api/v1/lots/{lot_id}/bids",
            token,
            path_parameters={"lot_id": self.lot},
            body=body,
            headers=headers,
        )
        if first is not None:  # the same key and body: the first answer, old price and all
            assert answer.status_code == 201
            assert answer.json() == first
        elif answer.status_code == 201:
            self.price(answer.json()["currentPrice"])
            if "Idempotency-Key" in headers:
                self.keys.append((token, headers["Idempotency-Key"], body, answer.json()))
        else:
            assert answer.json()["code"] in {
                "BID_TOO_LOW",
                "ALREADY_LEADING",
                "IDEMPOTENCY_KEY_REUSED",
                "VALIDATION_FAILED",
            }, answer.json()

    def mine(self) -> None:
        token = self.rng.choice(self.bidders)
        page = self.call("GET", "/api/v1/me/bids", token, query={"size": 100}).json()
        assert all(bid["amount"] <= self.seen for bid in page["items"])


def test_a_walk_of_sign_ups_bids_and_reads_keeps_the_contract(api_app: Litestar, market: Market) -> None:
    seed = random.randrange(2**32)
    walk = Walk(api_app, market, random.Random(seed))
    actions = [walk.bid] * 6 + [walk.look, walk.browse, walk.history, walk.mine]
    walk.sign_up()
    walk.look()  # what the lot stands at (the market placed a bid on it)
    for step in range(STEPS):
        try:
            walk.rng.choice(actions)()
        except Exception as exc:
            raise AssertionError(f"seed {seed}, step {step}") from exc
    print(f"\nseed {seed}: {dict(sorted(walk.statuses.items()))}")
    assert walk.statuses.get("POST /api/v1/lots/{lot_id}/bids 201", 0) >= 10, walk.statuses
