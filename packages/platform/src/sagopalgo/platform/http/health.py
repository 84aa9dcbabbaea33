"""Liveness and readiness: the load balancer routes only to instances whose dependencies answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from redis.asyncio import Redis

__all__ = ["HealthReport", "ReadinessCheck", "health_handlers", "redis_check"]

ReadinessCheck = Callable[[], Awaitable[None]]


def redis_check(redis: Redis) -> ReadinessCheck:
    async def ping() -> None:
        await redis.ping()

    return ping


class HealthReport(msgspec.Struct):
    status: str
    checks: dict[str, str] = {}


@get("/health/live", exclude_from_auth=True, tags=["operations"], summary="The process is up")
async def live() -> HealthReport:
    return HealthReport(status="ok")


@get(
    "/health/ready",
    exclude_from_auth=True,
    tags=["operations"],
    summary="Database and Redis answer",
    responses={503: ResponseSpec(data_container=HealthReport, description="A dependency is down")},
)
async def ready(request: Request[Any, Any, State]) -> Response[HealthReport]:
    checks: dict[str, ReadinessCheck] = getattr(request.app.state, "readiness_checks", {})
    results: dict[str, str] = {}

    async def run(name: str, check: ReadinessCheck) -> None:
        try:
            await asyncio.wait_for(check(), timeout=2.0)
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"down: {type(exc).__name__}"

    await asyncio.gather(*(run(n, c) for n, c in checks.items()))
    healthy = all(v == "ok" for v in results.values())
    return Response(
        HealthReport(status="ok" if healthy else "unavailable", checks=results),
        status_code=200 if healthy else 503,
    )


health_handlers = [live, ready]
