"""Building the use-case services from settings: shared by the API app and the CLI commands."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from sagopalgo.accounts.adapters.passwords import Argon2PasswordHasher
from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.bidding.adapters.locks import RedisTransitionLock, SqlTransitionLock
from sagopalgo.bidding.adapters.memory import MemoryBidGate, MemoryBidLog
from sagopalgo.bidding.adapters.redis import RedisBidGate, RedisBidLog
from sagopalgo.bidding.adapters.sql.gate import SqlBidGate, SqlBidLog
from sagopalgo.bidding.adapters.sql.repository import SqlBiddingUnitOfWork
from sagopalgo.bidding.application.auction_day import AuctionDayService
from sagopalgo.bidding.application.awards import AwardsService
from sagopalgo.bidding.application.service import BiddingService
from sagopalgo.bidding.contract import AwardStatus, AwardView
from sagopalgo.bidding.domain.award import AwardNotPayable
from sagopalgo.bidding.domain.gate import GateLot
from sagopalgo.bidding.ports import BidGate, BidLog, LogEntry, LotFacts, TransitionLock
from sagopalgo.catalog.adapters.cache import MemoryLotCache, RedisLotCache
from sagopalgo.catalog.adapters.images.local import LocalImageStore
from sagopalgo.catalog.adapters.images.s3 import S3ImageStore, s3_client
from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.catalog.contract import LotChanged, LotStatus, LotStatusChanged, LotView
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.catalog.ports import ImageStore, LotCache, PriceFeed
from sagopalgo.kernel.clock import Clock
from sagopalgo.kernel.identity import Principal
from sagopalgo.payments.adapters.sql.repository import SqlPaymentsUnitOfWork
from sagopalgo.payments.application.service import PaymentsService
from sagopalgo.payments.domain import AwardExpired, AwardState, AwardToPay
from sagopalgo.platform.redis import create_redis
from sagopalgo.platform.settings import Settings, SettingsError
from sagopalgo.platform.sql import create_engine, session_factory
from sagopalgo.realtime.adapters.memory import MemoryLotEventLog
from sagopalgo.realtime.adapters.redis import RedisLotEventLog
from sagopalgo.realtime.ports import LotEventLog
from sagopalgo.search.adapters.elasticsearch import index as elastic
from sagopalgo.search.adapters.opensearch import index as opensearch
from sagopalgo.search.adapters.sql.fts import SqliteFtsLotIndex
from sagopalgo.search.adapters.sql.ngram import NgramLotIndex
from sagopalgo.search.application.indexer import Indexer
from sagopalgo.search.application.service import SearchService
from sagopalgo.search.domain.document import LotDoc
from sagopalgo.search.ports import LotIndex

if TYPE_CHECKING:
    from sagopalgo.payments.adapters.toss.client import TossPaymentProvider

__all__ = [
    "LOCAL_UPLOAD_PATH",
    "BiddingAwards",
    "CatalogCategoryNames",
    "CatalogDayLots",
    "CatalogLotSource",
    "GatePrices",
    "LocalBus",
    "Market",
    "auction_window",
    "bid_gate",
    "build_accounts",
    "build_auction_days",
    "build_bidding",
    "build_catalog",
    "build_image_store",
    "build_lot_index",
    "build_payments",
    "event_log",
    "lot_doc",
    "open_market",
]

LOCAL_UPLOAD_PATH = "/api/v1/uploads/local"
_log = logging.getLogger("sagopalgo.api")

# The CLI signs no tokens; when no key is configured it still needs an issuer to build the service.
_UNUSED_KEY = "unused-by-the-cli-unused-by-the-cli"


def build_accounts(sessions: async_sessionmaker[Any], settings: Settings, clock: Clock) -> AccountsService:
    return AccountsService(
        uow=lambda: SqlAccountsUnitOfWork(sessions),
        hasher=Argon2PasswordHasher(),
        tokens=JwtAccessTokenIssuer(settings.jwt_secret or _UNUSED_KEY, settings.access_token_ttl_seconds),
        clock=clock,
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        principal_ttl=timedelta(seconds=settings.auth_cache_seconds),
    )


def auction_window(settings: Settings) -> AuctionWindow:
    return AuctionWindow(
        opens=time.fromisoformat(settings.auction_opens),
        closes=time.fromisoformat(settings.auction_closes),
        hard_cap=time.fromisoformat(settings.auction_hard_cap),
    )


def build_image_store(settings: Settings) -> ImageStore:
    """S3 when a bucket is configured, else files under ``media_dir`` served by the API itself."""
    if settings.s3_bucket:
        return S3ImageStore(s3_client(settings.s3_region, settings.s3_endpoint_url), settings.s3_bucket)
    # A key of its own, derived from the JWT secret, so no extra secret has to be configured.
    secret = hashlib.sha256(
        b"sagopalgo-local-uploads:" + (settings.jwt_secret or _UNUSED_KEY).encode()
    ).digest()
    return LocalImageStore(Path(settings.media_dir), settings.api_base_url + LOCAL_UPLOAD_PATH, secret)


def build_catalog(
    sessions: async_sessionmaker[Any],
    settings: Settings,
    clock: Clock,
    *,
    images: ImageStore,
    redis: Any = None,
    prices: PriceFeed | None = None,
    events: LotEventLog | None = None,
    on_change: Callable[[LotChanged], Awaitable[None]] | None = None,
) -> CatalogService:
    cache: LotCache = (
        RedisLotCache(redis, prefix=settings.redis_prefix) if redis is not None else MemoryLotCache(clock)
    )
    return CatalogService(
        uow=lambda: SqlCatalogUnitOfWork(sessions),
        images=images,
        cache=cache,
        clock=clock,
        window=auction_window(settings),
        max_krw=settings.max_krw,
        image_max_bytes=settings.image_max_bytes,
        upload_ttl=timedelta(seconds=settings.upload_ttl_seconds),
        cache_ttl_seconds=settings.lot_cache_ttl_seconds,
        prices=prices,
        on_status=_status_publisher(events) if events is not None else None,
        on_change=on_change,
    )


def _index_on(indexer: Indexer) -> Callable[[LotChanged], Awaitable[None]]:
    """The catalog's changes, as they commit, to the search indexer (which never blocks on them)."""

    async def changed(event: LotChanged) -> None:
        await indexer.lot_changed(event.lot_id)

    return changed


def _status_publisher(events: LotEventLog) -> Callable[[LotStatusChanged], Awaitable[None]]:
    """Every status move of a lot as a ``status`` event on its stream (what live clients are told)."""

    async def publish(moved: LotStatusChanged) -> None:
        data: dict[str, Any] = {
            "lotId": moved.lot_id,
            "status": moved.status.value,
            "closesAtMs": int(moved.closes_at.timestamp() * 1000),
        }
        if moved.reason is not None:
            data["reason"] = moved.reason.value
        await events.publish(moved.lot_id, "status", data)

    return publish


def event_log(redis: Any, settings: Settings, bus: LocalBus | None) -> LotEventLog:
    if redis is not None:
        return RedisLotEventLog(redis, prefix=settings.redis_prefix)
    return (bus or LocalBus()).events


# ---------------------------------------------------------------- bidding and live events
@dataclass
class LocalBus:
    """The in-process gate, bid log and event log, shared by the API and SSE apps of ``demo``."""

    events: MemoryLotEventLog = field(default_factory=MemoryLotEventLog)
    bid_log: MemoryBidLog = field(default_factory=MemoryBidLog)
    gate: MemoryBidGate | None = None

    def __post_init__(self) -> None:
        if self.gate is None:
            self.gate = MemoryBidGate(self.bid_log, self.events)


class CatalogLotFacts:
    """Bidding's view of a lot, read from the catalog (uncached: the gate primes from the truth)."""

    def __init__(self, catalog: CatalogService) -> None:
        self._catalog = catalog

    async def facts(self, lot_id: int) -> LotFacts | None:
        view = await self._catalog.lot_uncached(lot_id)
        if view is None or view.status is LotStatus.WITHDRAWN:
            return None
        return LotFacts(
            lot_id=view.id,
            seller_id=view.seller_id,
            start_price=view.start_price,
            increment=view.bid_increment,
            opens_at=view.opens_at,
            closes_at=view.closes_at,
            hard_cap_at=self._catalog.window.hard_cap_at(view.auction_day),
            extended_bidding=view.extended_bidding,
            open=view.status is LotStatus.OPEN,
        )


class GatePrices:
    """The catalog's price feed, answered by the bid gate."""

    def __init__(self) -> None:
        self.bidding: BiddingService | None = None

    async def current(self, lot_id: int) -> tuple[int | None, int, datetime] | None:
        live = await self.bidding.live_price(lot_id) if self.bidding else None
        return None if live is None else (live.current_price, live.bid_count, live.closes_at)


def bid_gate(settings: Settings) -> Literal["redis", "memory", "sql"]:
    """The gate ``settings.bid_gate`` names, ``auto`` resolved; a start-up error names what is missing."""
    if settings.bid_gate == "auto":
        return "redis" if settings.redis_url else "memory"
    if settings.bid_gate == "redis" and not settings.redis_url:
        raise SettingsError("SAGOPALGO_BID_GATE=redis needs SAGOPALGO_REDIS_URL")
    if settings.bid_gate == "sql" and make_url(settings.database_url).get_backend_name() != "mysql":
        raise SettingsError(
            "SAGOPALGO_BID_GATE=sql needs a MariaDB/MySQL SAGOPALGO_DATABASE_URL (SQLite has no row locks)"
        )
    return settings.bid_gate


def build_bidding(
    sessions: async_sessionmaker[Any],
    settings: Settings,
    clock: Clock,
    *,
    catalog: CatalogService,
    redis: Any = None,
    bus: LocalBus | None = None,
    engine: AsyncEngine | None = None,
) -> tuple[BiddingService, LotEventLog]:
    """The gate, log and events that ``bid_gate(settings)`` chooses.

    ``redis``: one Lua script per bid. ``memory``: the in-process ``bus`` (one process; its events
    stay in it). ``sql``: the lot's database row on ``engine``, publishing to Redis when configured,
    else to the ``bus``.
    """
    gate: BidGate
    log: BidLog
    events: LotEventLog
    kind = bid_gate(settings)
    if kind == "redis":
        if redis is None:
            raise ValueError("the Redis gate needs the deployment's Redis client")
        gate = RedisBidGate(redis, prefix=settings.redis_prefix)
        log = RedisBidLog(redis, prefix=settings.redis_prefix)
        events = RedisLotEventLog(redis, prefix=settings.redis_prefix)
    elif kind == "sql":
        if engine is None:
            raise ValueError("the row-lock gate needs the deployment's engine")
        if redis is None and bus is None:
            raise ValueError("the row-lock gate without Redis publishes to the deployment's LocalBus")
        events = event_log(redis, settings, bus)
        gate, log = SqlBidGate(engine, events), SqlBidLog(engine)
    else:
        if bus is None or bus.gate is None:
            raise ValueError("the in-process gate needs the deployment's LocalBus")
        gate, log, events = bus.gate, bus.bid_log, bus.events

    async def copy_to_catalog(entry: LogEntry) -> None:
        state = entry.acceptance.state
        await catalog.record_bid(
            entry.lot_id,
            price=state.price,
            bid_count=state.count,
            closes_at=datetime.fromtimestamp(state.closes_ms / 1000, UTC),
        )

    service = BiddingService(
        gate=gate,
        log=log,
        uow=lambda: SqlBiddingUnitOfWork(sessions),
        lots=CatalogLotFacts(catalog),
        clock=clock,
        max_krw=settings.max_krw,
        extension_ms=settings.extension_minutes * 60_000,
        on_recorded=copy_to_catalog,
    )
    return service, events


class CatalogDayLots:
    """The catalog's side of the auction day, for bidding's day service."""

    def __init__(self, catalog: CatalogService) -> None:
        self._catalog = catalog

    async def due_to_open(self, now: datetime, through_day: date) -> list[int]:
        return await self._catalog.lots_due(LotStatus.SCHEDULED, by=now, through_day=through_day)

    async def due_to_close(self, now: datetime, through_day: date) -> list[int]:
        return await self._catalog.lots_due(LotStatus.OPEN, by=now, through_day=through_day)

    async def open(self, lot_id: int) -> bool:
        return await self._catalog.open_lot(lot_id) is not None

    async def close(self, lot_id: int, final: GateLot) -> bool:
        closed = await self._catalog.close_lot(
            lot_id,
            has_winner=final.count > 0,
            price=final.price if final.count else None,
            bid_count=final.count,
            closes_at=datetime.fromtimestamp(final.closes_ms / 1000, UTC),
        )
        return closed is not None

    async def lapse(self, lot_id: int) -> bool:
        return await self._catalog.lapse_lot(lot_id) is not None

    async def paid(self, lot_id: int) -> bool:
        return await self._catalog.mark_lot_paid(lot_id) is not None

    async def titles(self, lot_ids: Sequence[int]) -> dict[int, str]:
        return await self._catalog.titles(list(lot_ids))


def build_auction_days(
    sessions: async_sessionmaker[Any],
    settings: Settings,
    clock: Clock,
    *,
    catalog: CatalogService,
    bidding: BiddingService,
    engine: AsyncEngine,
    redis: Any = None,
) -> tuple[AuctionDayService, AwardsService]:
    """The day's transitions (locked on Redis when there is one, else on the database) and awards."""
    lots = CatalogDayLots(catalog)
    lock: TransitionLock = (
        RedisTransitionLock(redis, prefix=settings.redis_prefix)
        if redis is not None
        else SqlTransitionLock(engine)
    )

    def uow() -> SqlBiddingUnitOfWork:
        return SqlBiddingUnitOfWork(sessions)

    days = AuctionDayService(
        bidding=bidding,
        lots=lots,
        uow=uow,
        lock=lock,
        clock=clock,
        pay_within=timedelta(hours=settings.payment_deadline_hours),
    )
    return days, AwardsService(uow=uow, lots=lots, titles=lots, clock=clock)


# ---------------------------------------------------------------- search
def lot_doc(view: LotView) -> LotDoc:
    """The catalog's read model as the search index's document (a withdrawn lot as a tombstone)."""
    return LotDoc(
        id=view.id,
        version=view.version,
        title=view.title,
        description=view.description,
        category_id=view.category.id,
        seller_id=view.seller_id,
        seller_username=view.seller_username,
        image_keys=view.image_keys,
        start_price=view.start_price,
        bid_increment=view.bid_increment,
        current_price=view.current_price,
        bid_count=view.bid_count,
        auction_day=view.auction_day,
        opens_at=view.opens_at,
        closes_at=view.closes_at,
        extended_bidding=view.extended_bidding,
        status=view.status.value,
        created_at=view.created_at,
        listed=view.status is not LotStatus.WITHDRAWN,
    )


class CatalogLotSource:
    """Search's ``LotSource``: the catalog's lots (any status) through its published queries."""

    def __init__(self) -> None:
        self.catalog: CatalogService | None = None  # set once the catalog is built (it calls us)

    def _of(self) -> CatalogService:
        if self.catalog is None:
            raise RuntimeError("the search index's lot source has no catalog yet")
        return self.catalog

    async def docs(self, lot_ids: Sequence[int]) -> list[LotDoc]:
        return [lot_doc(view) for view in await self._of().lot_views(list(lot_ids))]

    async def versions(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        return await self._of().lot_versions(after_id, limit)


class CatalogCategoryNames:
    def __init__(self, source: CatalogLotSource) -> None:
        self._source = source

    async def names(self) -> dict[int, str]:
        return {c.id: c.name for c in await self._source._of().categories()}


def search_backend(settings: Settings) -> Literal["sql", "elasticsearch", "opensearch"]:
    """The lot index to build; a chosen engine without its URL stops start-up.

    Checked here too because settings built in code never went through ``load_settings``' checks.
    """
    engine = settings.search_engine
    urls = {"elasticsearch": settings.elasticsearch_url, "opensearch": settings.opensearch_url}
    if engine in urls and not urls[engine]:
        raise SettingsError(f"SAGOPALGO_SEARCH={engine} needs SAGOPALGO_{engine.upper()}_URL")
    return engine


def build_lot_index(settings: Settings, engine: AsyncEngine) -> tuple[LotIndex, Any]:
    """The index ``SAGOPALGO_SEARCH`` names, and the client to close afterwards (or ``None``).

    ``sql`` follows the database: FTS5 on SQLite, the n-gram table on MariaDB/MySQL.
    """
    backend = search_backend(settings)
    alias, analyzer = settings.elasticsearch_index, settings.elasticsearch_analyzer
    timeout = settings.elasticsearch_timeout_seconds
    if backend == "elasticsearch":
        es = elastic.create_client(settings.elasticsearch_url or "", timeout=timeout)
        return elastic.ElasticsearchLotIndex(es, alias=alias, analyzer=analyzer), es
    if backend == "opensearch":
        client = opensearch.create_client(settings.opensearch_url or "", timeout=timeout)
        return opensearch.OpenSearchLotIndex(client, alias=alias, analyzer=analyzer), client
    if engine.url.get_backend_name() == "sqlite":
        return SqliteFtsLotIndex(engine), None
    return NgramLotIndex(engine), None


# ---------------------------------------------------------------- payments
_AWARD_STATE = {
    AwardStatus.PAYMENT_DUE: AwardState.DUE,
    AwardStatus.PAID: AwardState.PAID,
    AwardStatus.EXPIRED: AwardState.EXPIRED,
}


class BiddingAwards:
    """Payments' ``Awards`` port: bidding's awards (through its contract) and the lot's title."""

    def __init__(self, awards: AwardsService, catalog: CatalogService) -> None:
        self._awards, self._catalog = awards, catalog

    async def for_winner(self, actor: Principal, award_id: int) -> AwardToPay:
        view: AwardView = await self._awards.award_for_winner(actor, award_id)
        titles = await self._catalog.titles([view.lot_id])
        return AwardToPay(
            award_id=view.id,
            lot_id=view.lot_id,
            winner_id=view.winner_id,
            amount=view.amount,
            pay_by=view.pay_by,
            state=_AWARD_STATE[view.status],
            title=titles.get(view.lot_id, ""),
        )

    async def mark_paid(self, award_id: int) -> None:
        try:
            await self._awards.mark_paid(award_id)
        except AwardNotPayable as refused:
            if refused.code == "AWARD_EXPIRED":
                raise AwardExpired(refused.message) from None
            raise


def toss_provider(settings: Settings) -> TossPaymentProvider | None:
    """The Toss client the settings name, or ``None`` when the deployment has no Toss keys."""
    from sagopalgo.payments.adapters.toss.client import TossPaymentProvider  # httpx: only with keys

    if settings.toss_secret_key is None:
        return None
    return TossPaymentProvider(settings.toss_secret_key, base_url=settings.toss_base_url)


def build_payments(
    sessions: async_sessionmaker[Any],
    settings: Settings,
    clock: Clock,
    *,
    awards: AwardsService,
    catalog: CatalogService,
    provider: TossPaymentProvider | None,
) -> PaymentsService:
    # Toss's customerKey for a user: an HMAC under a key derived from the secret key, so it is
    # stable per user and nobody can derive another user's key from a user id.
    secret = hashlib.sha256(b"sagopalgo-toss-customer:" + (settings.toss_secret_key or "").encode()).digest()
    return PaymentsService(
        uow=lambda: SqlPaymentsUnitOfWork(sessions),
        provider=provider,
        awards=BiddingAwards(awards, catalog),
        clock=clock,
        client_key=settings.toss_client_key,
        customer_secret=secret,
    )


@dataclass
class Market:
    """Every long-lived part of the marketplace one process needs, built from settings."""

    settings: Settings
    engine: AsyncEngine
    redis: Any
    sessions: async_sessionmaker[Any]
    images: ImageStore
    catalog: CatalogService
    bidding: BiddingService
    events: LotEventLog
    days: AuctionDayService
    awards: AwardsService
    payments: PaymentsService
    search: SearchService
    indexer: Indexer


@asynccontextmanager
async def open_market(
    settings: Settings, clock: Clock, *, bus: LocalBus | None = None
) -> AsyncIterator[Market]:
    """Connect to the stores and compose the contexts; close the connections on the way out.

    The API's lifespan and the scheduler's Lambda handler both start here, so a transition run by
    either is the same code with the same parts.
    """
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        timeout=settings.database_timeout_seconds,
        read_timeout=settings.database_read_timeout_seconds,
    )
    redis = (
        create_redis(settings.redis_url, timeout=settings.redis_timeout_seconds)
        if settings.redis_url
        else None
    )
    toss: TossPaymentProvider | None = None
    search_client: Any = None
    indexer: Indexer | None = None
    try:
        sessions = session_factory(engine)
        images = build_image_store(settings)
        prices = GatePrices()
        local = bus or LocalBus()
        events = event_log(redis, settings, local)
        index, search_client = build_lot_index(settings, engine)
        lots = CatalogLotSource()
        indexer = Indexer(index=index, source=lots)
        catalog = build_catalog(
            sessions,
            settings,
            clock,
            images=images,
            redis=redis,
            prices=prices,
            events=events,
            on_change=_index_on(indexer),
        )
        lots.catalog = catalog
        search = SearchService(index=index, categories=CatalogCategoryNames(lots), max_krw=settings.max_krw)
        bidding, events = build_bidding(
            sessions, settings, clock, catalog=catalog, redis=redis, bus=local, engine=engine
        )
        prices.bidding = bidding
        days, awards = build_auction_days(
            sessions, settings, clock, catalog=catalog, bidding=bidding, engine=engine, redis=redis
        )
        toss = toss_provider(settings)
        payments = build_payments(sessions, settings, clock, awards=awards, catalog=catalog, provider=toss)
        yield Market(
            settings,
            engine,
            redis,
            sessions,
            images,
            catalog,
            bidding,
            events,
            days,
            awards,
            payments,
            search,
            indexer,
        )
    finally:
        if indexer is not None:  # what this process changed last reaches the index before it exits
            try:
                await indexer.flush()
            except Exception:  # the next process's catch-up repairs it
                _log.warning("could not index the last changes before exiting", exc_info=True)
        if search_client is not None:
            await search_client.close()
        if toss is not None:
            await toss.aclose()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
