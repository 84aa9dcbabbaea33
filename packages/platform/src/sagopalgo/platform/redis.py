"""Redis client construction with explicit timeouts, so a dead Redis answers 503 fast, never hangs.

A blocking pool makes a burst of concurrent requests queue for a connection (up to the timeout)
instead of failing with "Too many connections" as redis-py's default pool does past its cap.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

__all__ = ["create_redis"]


def create_redis(url: str, *, timeout: float = 2.0, max_connections: int = 64) -> Redis:
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool, decode_responses=False)
