"""``create_app`` for the SSE service: lot event streams, health and OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State

from sagopalgo.kernel.clock import Clock, SystemClock
from sagopalgo.platform.http.app import common_app_kwargs
from sagopalgo.platform.http.health import ReadinessCheck, health_handlers, redis_check
from sagopalgo.platform.ratelimit import ConcurrencyLimiter, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from sagopalgo.platform.redis import create_redis
from sagopalgo.platform.settings import Settings, load_settings
from sagopalgo.platform.sql import create_engine, session_factory
from sagopalgo.realtime.adapters.memory import MemoryLotEventLog
from sagopalgo.realtime.adapters.redis import RedisLotEventLog
from sagopalgo.realtime.application.hub import LotEventHub
from sagopalgo.realtime.ports import LotEventLog
from sagopalgo.sse.streams import HEARTBEAT_SECONDS, Snapshots, final, frame, lot_events, streams_health

__all__ = ["create_app", "sse_origins"]


def sse_origins(settings: Settings) -> list[str]:
    """``CORS_ORIGINS`` and the origin of the web pages (the API's public URL), once each."""
    parts = urlsplit(settings.api_base_url)
    return list(dict.fromkeys([*settings.cors_origins, f"{parts.scheme}://{parts.netloc}"]))


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, events: LotEventLog | None = None
) -> Litestar:
    """Build the SSE service; ``events`` is the in-process log shared with the API in ``demo``."""
    settings = settings or load_settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = (
            create_redis(settings.redis_url, timeout=settings.redis_timeout_seconds)
            if settings.redis_url
            else None
        )
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            timeout=settings.database_timeout_seconds,
            read_timeout=settings.database_read_timeout_seconds,
        )
        checks: dict[str, ReadinessCheck] = {}
        if redis is not None:
            checks["redis"] = redis_check(redis)
        log: LotEventLog = (
            RedisLotEventLog(redis, prefix=settings.redis_prefix)
            if redis is not None
            else events or MemoryLotEventLog()
        )
        hub = LotEventHub(log, frame, heartbeat_s=HEARTBEAT_SECONDS, final=final)
        # New streams per client address are counted across SSE processes (Redis), open ones per process.
        rate_limiter: RateLimiter = (
            RedisRateLimiter(redis, clock, prefix=settings.redis_prefix)
            if redis
            else MemoryRateLimiter(clock)
        )
        app.state.update(
            redis=redis,
            rate_limiter=rate_limiter,
            open_streams=ConcurrencyLimiter(),
            readiness_checks=checks,
            sessions=session_factory(engine),
            events=log,
            hub=hub,
            snapshots=Snapshots(),
        )
        try:
            yield
        finally:
            await hub.close()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    kwargs = common_app_kwargs(
        settings,
        title="Sagopalgo live events",
        description="Server-sent events of lot prices and status (`/sse/v1/lots/{id}/events`).",
        public_url=settings.sse_base_url,
    )
    # The web pages, served from the API's origin, open their EventSource across origins; other
    # browser clients only from the configured origins. Never ``*``: a stream is public, but which
    # sites may build on it is the operator's call, as it is for the API.
    kwargs["cors_config"] = CORSConfig(
        allow_origins=sse_origins(settings),
        allow_methods=["GET", "OPTIONS"],
        allow_headers=["Last-Event-ID", "X-Request-ID"],
        expose_headers=["X-Request-ID"],
        allow_credentials=False,
        max_age=600,
    )
    return Litestar(
        route_handlers=[lot_events, streams_health, *health_handlers],
        lifespan=[lifespan],
        state=State({"settings": settings, "clock": clock}),
        **kwargs,
    )
