"""``create_app`` for the SSE service: health and OpenAPI now; lot streams arrive with bidding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from sagopalgo.kernel.clock import Clock, SystemClock
from sagopalgo.platform.http.app import common_app_kwargs
from sagopalgo.platform.http.health import ReadinessCheck, health_handlers, redis_check
from sagopalgo.platform.redis import create_redis
from sagopalgo.platform.settings import Settings, load_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    settings = settings or load_settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = (
            create_redis(settings.redis_url, timeout=settings.redis_timeout_seconds)
            if settings.redis_url
            else None
        )
        checks: dict[str, ReadinessCheck] = {}
        if redis is not None:
            checks["redis"] = redis_check(redis)
        app.state.update(redis=redis, readiness_checks=checks)
        try:
            yield
        finally:
            if redis is not None:
                await redis.aclose()

    return Litestar(
        route_handlers=[*health_handlers],
        lifespan=[lifespan],
        state=State({"settings": settings, "clock": clock}),
        **common_app_kwargs(
            settings,
            title="Sagopalgo live events",
            description="Server-sent events of lot prices and status (`/sse/v1/lots/{id}/events`).",
        ),
    )
