"""Seed a market straight into the database: many users with live tokens, and open lots."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from sagopalgo.accounts.adapters.sql.tables import sessions, users
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.catalog.contract import LotStatus
from sagopalgo.catalog.domain.images import ImageUpload, upload_key
from sagopalgo.catalog.domain.lot import Listing, Lot, LotTerms
from sagopalgo.kernel.clock import SEOUL
from sagopalgo.platform.sql import create_engine, session_factory


@dataclass
class Market:
    lot_id: int
    """The first of ``lot_ids``."""
    seller_token: str
    bidder_tokens: list[str]
    start_price: int
    increment: int
    lot_ids: list[int]
    bidder_ids: list[int]
    """The user id behind each of ``bidder_tokens``."""


async def seed_market(
    database_url: str, jwt_secret: str, *, bidders: int, minutes_open: float = 30, lots: int = 1
) -> Market:
    """Users and sessions are inserted directly (signing 200 people up through argon2 would take a
    minute); their tokens are minted with the production issuer and the deployment's secret. The
    ``lots`` open lots belong to one seller, who is not among the bidders."""
    now = datetime.now(UTC)
    issuer = JwtAccessTokenIssuer(jwt_secret, 900)
    engine = create_engine(database_url)
    tag = uuid.uuid4().hex[:8]
    tokens: list[str] = []
    ids: list[int] = []
    try:
        async with engine.begin() as conn:
            for n in range(bidders + 1):
                name = f"r{tag}{n}"
                result = await conn.execute(
                    insert(users).values(
                        email=f"{name}@example.com",
                        username=name,
                        username_key=name,
                        password_hash="$argon2id$not-used",  # noqa: S106 - nobody signs in with it
                        is_admin=False,
                        created_at=now,
                    )
                )
                user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                session_id = uuid.uuid4().hex
                await conn.execute(insert(sessions).values(id=session_id, user_id=user_id, created_at=now))
                ids.append(user_id)
                tokens.append(
                    issuer.issue(
                        user_id=user_id,
                        username=name,
                        roles=frozenset({"user"}),
                        session_id=session_id,
                        now=now,
                    )
                )
        factory = session_factory(engine)
        start, step = 10_000, 1_000
        lot_ids: list[int] = []
        async with SqlCatalogUnitOfWork(factory) as uow:
            category = await uow.categories.add(f"race-{tag}")
            for n in range(lots):
                key = upload_key(ids[0], uuid.uuid4().hex, "image/png")
                await uow.uploads.add(ImageUpload(key, ids[0], "image/png", 100, now, now))
                lot = Lot(
                    seller_id=ids[0],
                    seller_username=f"r{tag}0",
                    listing=Listing.of(title=f"경매 경주 {n + 1}", description="", category_id=category.id),
                    terms=LotTerms(start, step),
                    auction_day=now.astimezone(SEOUL).date(),
                    opens_at=now - timedelta(minutes=1),
                    closes_at=now + timedelta(minutes=minutes_open),
                    created_at=now,
                    image_keys=(key,),
                    status=LotStatus.OPEN,
                )
                await uow.lots.add(lot)
                assert lot.id is not None
                await uow.uploads.attach(lot.id, (key,), ids[0], now)
                lot_ids.append(lot.id)
            await uow.commit()
    finally:
        await engine.dispose()
    return Market(lot_ids[0], tokens[0], tokens[1:], start, step, lot_ids, ids[1:])
