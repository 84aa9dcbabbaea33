"""Search documents for tests: a lot as the index holds it, with every field defaulted."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sagopalgo.search.domain.document import LotDoc

DAY = date(2026, 11, 26)
T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def doc(lot_id: int, title: str, description: str = "", **fields: Any) -> LotDoc:
    """A scheduled lot in category 1 at 10,000 KRW per id, listed ``lot_id`` minutes after T0."""
    base = LotDoc(
        id=lot_id,
        version=0,
        title=title,
        description=description,
        category_id=1,
        seller_id=7,
        seller_username="seller7",
        image_keys=(f"u/7/{lot_id}.png",),
        start_price=10_000 * lot_id,
        bid_increment=1_000,
        current_price=None,
        bid_count=0,
        auction_day=DAY,
        opens_at=datetime(2026, 11, 26, 0, 0, tzinfo=UTC),
        closes_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        extended_bidding=False,
        status="SCHEDULED",
        created_at=T0 + timedelta(minutes=lot_id),
    )
    return replace(base, **fields)
