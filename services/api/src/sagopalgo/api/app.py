"""``create_app``: build the main API from settings; the one place that chooses adapters."""

from __future__ import annotations

import asyncio
import contextlib
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
    GatePrices,
    LocalBus,
    bid_gate,
    build_accounts,
    build_bidding,
    build_catalog,
    build_image_store,
    event_log,
)
from sagopalgo.api.db import upgrade
from sagopalgo.bidding.adapters.http.controllers import BidsController, BidWriterController
from sagopalgo.catalog.adapters.http.controllers import (
    CategoriesController,
    LotsController,
    UploadsController,
)
from sagopalgo.catalog.adapters.http.media import MediaController
from sagopalgo.kernel.clock import Clock, SystemClock
from sagopalgo.platform.http.app import common_app_kwargs
from sagopalgo.platform.http.health import ReadinessCheck, health_handlers, redis_check
from sagopalgo.platform.idempotency import (
    IdempotencyStore,
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
)
from sagopalgo.platform.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from sagopalgo.platform.redis import create_redis
from sagopalgo.platform.settings import Settings, load_settings
from sagopalgo.platform.sql import create_engine, session_factory

__all__ = ["create_app"]

_log = logging.getLogger("sagopalgo.api")

DESCRIPTION = (
    "Sagopalgo's main API: accounts, lots, bids, search and payments. Errors are RFC 9457 problem "
    "documents with a stable `code`."
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
    jwt_secret = settings.jwt_secret or ""
    clock = clock or SystemClock()
    jwt_auth = build_jwt_auth(jwt_secret, exclude=["/schema", "/health", "/media"])

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await asyncio.to_thread(upgrade, settings.database_url)
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            timeout=settings.database_timeout_seconds,
        )
        redis = (
            create_redis(settings.redis_url, timeout=settings.redis_timeout_seconds)
            if settings.redis_url
            else None
        )
        sessions = session_factory(engine)
        images = build_image_store(settings)
        rate_limiter: RateLimiter = (
            RedisRateLimiter(redis, clock, prefix=settings.redis_prefix)
            if redis
            else MemoryRateLimiter(clock)
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
            idempotency=idempotency,
            readiness_checks=checks,
            accounts=build_accounts(sessions, settings, clock),
            image_store=images,
        )
        prices = GatePrices()
        local = bus or LocalBus()
        events = event_log(redis, settings, local)
        catalog = build_catalog(
            sessions, settings, clock, images=images, redis=redis, prices=prices, events=events
        )
        bidding, events = build_bidding(
            sessions, settings, clock, catalog=catalog, redis=redis, bus=local, engine=engine
        )
        prices.bidding = bidding
        app.state.update(catalog=catalog, bidding=bidding, events=events)
        stop = asyncio.Event()
        consumer = settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        writer = asyncio.create_task(
            bidding.run_writer(consumer, stop, stale_ms=settings.bid_writer_claim_ms), name="bid-log-writer"
        )
        _log.info(
            "api started",
            extra={"database": engine.url.get_backend_name(), "redis": bool(redis), "bid_gate": gate},
        )
        try:
            yield
        finally:
            stop.set()
            done, _ = await asyncio.wait({writer}, timeout=5)  # let the round under way commit
            if not done:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    handlers: list[Any] = [
        AccountsController,
        CategoriesController,
        UploadsController,
        LotsController,
        BidsController,
        BidWriterController,
        *health_handlers,
    ]
    if not settings.s3_bucket:  # the embedded image store receives and serves the files itself
        handlers.append(MediaController)
    return Litestar(
        route_handlers=handlers,
        on_app_init=[jwt_auth.on_app_init],
        lifespan=[lifespan],
        state=State({"settings": settings, "clock": clock}),
        **common_app_kwargs(settings, title="Sagopalgo API", description=DESCRIPTION),
    )
