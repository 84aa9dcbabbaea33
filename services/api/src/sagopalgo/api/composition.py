"""Building the use-case services from settings: shared by the API app and the CLI commands."""

from __future__ import annotations

import hashlib
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from sagopalgo.accounts.adapters.passwords import Argon2PasswordHasher
from sagopalgo.accounts.adapters.sql.repository import SqlAccountsUnitOfWork
from sagopalgo.accounts.adapters.tokens import JwtAccessTokenIssuer
from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.catalog.adapters.cache import MemoryLotCache, RedisLotCache
from sagopalgo.catalog.adapters.images.local import LocalImageStore
from sagopalgo.catalog.adapters.images.s3 import S3ImageStore, s3_client
from sagopalgo.catalog.adapters.sql.repository import SqlCatalogUnitOfWork
from sagopalgo.catalog.application.service import CatalogService
from sagopalgo.catalog.domain.schedule import AuctionWindow
from sagopalgo.catalog.ports import ImageStore, LotCache
from sagopalgo.kernel.clock import Clock
from sagopalgo.platform.settings import Settings

__all__ = ["LOCAL_UPLOAD_PATH", "auction_window", "build_accounts", "build_catalog", "build_image_store"]

LOCAL_UPLOAD_PATH = "/api/v1/uploads/local"

# The CLI signs no tokens; when no key is configured it still needs an issuer to build the service.
_UNUSED_KEY = "unused-by-the-cli-unused-by-the-cli"


def build_accounts(sessions: async_sessionmaker[Any], settings: Settings, clock: Clock) -> AccountsService:
    return AccountsService(
        uow=lambda: SqlAccountsUnitOfWork(sessions),
        hasher=Argon2PasswordHasher(),
        tokens=JwtAccessTokenIssuer(settings.jwt_secret or _UNUSED_KEY, settings.access_token_ttl_seconds),
        clock=clock,
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
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
    )
