"""``create_app``: build the main API from settings; the one place that chooses adapters."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from sqlalchemy import text

from sagopalgo.accounts.adapters.http.auth import build_jwt_auth
from sagopalgo.accounts.adapters.http.controllers import AccountsController
from sagopalgo.api.composition import (
    LocalBus,
    Market,
    bid_gate,
    build_accounts,
    open_market,
    search_backend,
)
from sagopalgo.api.db import upgrade
from sagopalgo.api.web import unrouted_page, web_router, web_templates
from sagopalgo.bidding.adapters.http.controllers import BidsController, BidWriterController
from sagopalgo.bidding.adapters.http.days import AuctionDaysController, AwardsController
from sagopalgo.bidding.application.auction_day import DaySchedule
from sagopalgo.catalog.adapters.http.controllers import (
    CategoriesController,
    LotsController,
    UploadsController,
)
from sagopalgo.catalog.adapters.http.media import MediaController
from sagopalgo.kernel.clock import Clock, SystemClock
from sagopalgo.payments.adapters.http.controllers import PaymentsController, TossWebhookController
from sagopalgo.platform.http.app import common_app_kwargs
from sagopalgo.platform.http.health import ReadinessCheck, health_handlers, redis_check
from sagopalgo.platform.idempotency import (
    IdempotencyStore,
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
)
from sagopalgo.platform.ratelimit import (
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    ReservingRateLimiter,
)
from sagopalgo.platform.settings import Settings, load_settings
from sagopalgo.search.adapters.http.controllers import SearchController, SearchIndexerController

__all__ = ["create_app"]

_log = logging.getLogger("sagopalgo.api")

DESCRIPTION = (
    "Sagopalgo's main API: accounts, lots, bids, search and payments. Errors are RFC 9457 problem "
    "documents with a stable `code`. The same service serves the web pages (not described here)."
)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, bus: LocalBus | None = None
) -> Litestar:
    """Build the API. Long-lived clients are created in the lifespan, never at import.

    ``bus`` shares the in-process gate and event log with an SSE app in the same process (the demo).
    """
    settings = settings or load_settings()
    settings.require("jwt_secret")
    gate = bid_gate(settings)  # a gate whose server is not configured stops start-up here
    search = search_backend(settings)
    jwt_secret = settings.jwt_secret or ""
    clock = clock or SystemClock()
    jwt_auth = build_jwt_auth(jwt_secret, exclude=["/schema", "/health", "/media"])

    @asynccontextmanager
    async def _serving(app: Litestar, market: Market, clock: Clock) -> AsyncIterator[None]:
        """Publish the market on the app's state and run its background work while serving."""
        engine, redis, bidding = market.engine, market.redis, market.bidding
        rate_limiter: RateLimiter = (
            RedisRateLimiter(redis, clock, prefix=settings.redis_prefix)
            if redis
            else MemoryRateLimiter(clock)
        )
        # Bids are the hot path: a process reserves slices of a user's budget instead of one
        # round trip per bid (README, Operations); the in-process limiter is already local.
        bid_rate_limiter: RateLimiter = (
            ReservingRateLimiter(redis, clock, prefix=settings.redis_prefix) if redis else rate_limiter
        )

        async def database_ready() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        checks: dict[str, ReadinessCheck] = {"database": database_ready}
        if redis is not None:
            checks["redis"] = redis_check(redis)
        idempotency: IdempotencyStore = (
            RedisIdempotencyStore(redis, prefix=settings.redis_prefix) if redis else MemoryIdempotencyStore()
        )
        app.state.update(
            engine=engine,
            redis=redis,
            rate_limiter=rate_limiter,
            bid_rate_limiter=bid_rate_limiter,
            idempotency=idempotency,
            readiness_checks=checks,
            accounts=build_accounts(market.sessions, settings, clock),
            image_store=market.images,
            catalog=market.catalog,
            bidding=bidding,
            events=market.events,
            auction_days=market.days,
            awards=market.awards,
            payments=market.payments,
            search=market.search,
            indexer=market.indexer,
        )
        stop = asyncio.Event()
        consumer = settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        writer = asyncio.create_task(
            bidding.run_writer(consumer, stop, stale_ms=settings.bid_writer_claim_ms), name="bid-log-writer"
        )
        # Catalog changes reach the index as they commit; the catch-up alongside repairs what a
        # process that died between a commit and its index write left behind.
        indexer = asyncio.create_task(market.indexer.run(stop), name="search-indexer")
        schedule = (
            asyncio.create_task(
                DaySchedule(market.days, tick_s=settings.schedule_tick_seconds).run(stop),
                name="auction-day-schedule",
            )
            if settings.schedule == "inprocess"
            else None
        )
        # Every process settles orders a lost answer or a crash left CONFIRMING, whatever runs the
        # day's schedule: each step is a compare-and-set and each Toss call idempotent, so no lock.
        reconciler = (
            asyncio.create_task(
                market.payments.run_reconciler(stop, settings.payment_reconcile_seconds),
                name="payment-reconciler",
            )
            if market.payments.enabled and settings.payment_reconcile_seconds > 0
            else None
        )
        # Photos no lot uses (abandoned forms, photos an edit replaced) leave storage a day after
        # their upload expired; each delete is conditional, so every process may sweep.
        sweeper = (
            asyncio.create_task(
                market.catalog.run_upload_sweeper(stop, settings.upload_sweep_seconds), name="upload-sweeper"
            )
            if settings.upload_sweep_seconds > 0
            else None
        )
        if not market.payments.enabled:
            _log.warning("payments are off: set SAGOPALGO_TOSS_SECRET_KEY and SAGOPALGO_TOSS_CLIENT_KEY")
        # Everything built so far lives as long as the process: take it out of the collector's
        # generations, so a full collection during a bidding spike walks only request garbage.
        gc.freeze()
        _log.info(
            "api started",
            extra={
                "database": engine.url.get_backend_name(),
                "redis": bool(redis),
                "bid_gate": gate,
                "search": search,
            },
        )
        try:
            yield
        finally:
            stop.set()
            others = (schedule, reconciler, sweeper)
            background = {writer, indexer} | {task for task in others if task is not None}
            _, late = await asyncio.wait(background, timeout=5)  # let the work under way commit
            for task in late:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await asyncio.to_thread(upgrade, settings.database_url)
        async with open_market(settings, clock, bus=bus) as market, _serving(app, market, clock):
            yield

    handlers: list[Any] = [
        AccountsController,
        CategoriesController,
        UploadsController,
        LotsController,
        BidsController,
        BidWriterController,
        AuctionDaysController,
        AwardsController,
        PaymentsController,
        TossWebhookController,
        SearchController,
        SearchIndexerController,
        *health_handlers,
        *web_router(settings),
    ]
    if not settings.s3_bucket:  # the embedded image store receives and serves the files itself
        handlers.append(MediaController)
    common = common_app_kwargs(settings, title="Sagopalgo API", description=DESCRIPTION)
    common["exception_handlers"] |= unrouted_page(settings)
    return Litestar(
        route_handlers=handlers,
        on_app_init=[jwt_auth.on_app_init],
        template_config=web_templates(settings),
        lifespan=[lifespan],
        state=State({"settings": settings, "clock": clock}),
        **common,
    )
