"""Building the source, store, cache store and locks a configuration names.

Each backend's module is imported only when configured (boto3, redis and httpx load
nothing for a server that does not use them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fitter.cache import CacheStore, Locks, MemoryCache
from fitter.config import (
    Config,
    FsStorage,
    HttpSettings,
    HttpStorage,
    MemoryCacheConfig,
    S3Storage,
)
from fitter.storage import Source, Store
from fitter.storage.fs import FsSource, FsStore
from fitter.storage.router import BaseUrlSource, SourceRouter

if TYPE_CHECKING:
    from fitter.storage.http import HttpSource


@dataclass
class Backends:
    source: Source
    store: Store
    cache: CacheStore
    locks: Locks | None = None
    closing: list[Any] = field(default_factory=list)
    # Where uploads are written: the source's own storage, as a Store.
    uploads: Store | None = None

    async def close(self) -> None:
        for backend in self.closing:
            await backend.close()


def open_backends(config: Config) -> Backends:
    cache, locks = make_cache(config)
    store = make_store(config)
    closing: list[Any] = [] if isinstance(cache, MemoryCache) else [cache]
    section = config.storage.source
    http_settings = section if isinstance(section, HttpStorage) else config.sources.http
    http = None
    if http_settings is not None:
        http = make_http(http_settings, config, cache, store)
        closing.append(http)
    if isinstance(section, HttpStorage):
        assert http is not None
        main: Source = BaseUrlSource(http, section.allow[0])
    else:
        main = make_source(section)
    uploads = None
    if config.options.enable_upload and not isinstance(section, HttpStorage):
        uploads = make_writer(section, config)
    return Backends(SourceRouter(main, http), store, cache, locks, closing, uploads)


def make_cache(config: Config) -> tuple[CacheStore, Locks | None]:
    section = config.cache_store
    if isinstance(section, MemoryCacheConfig):
        return MemoryCache(section.max_entries, section.max_bytes, section.ttl), None
    from fitter.cache.redis import RedisCache

    redis = RedisCache(section)
    return redis, redis


def make_store(config: Config) -> Store:
    return make_writer(config.storage.store, config)


def make_writer(section: FsStorage | S3Storage, config: Config) -> Store:
    """A Store over a storage section: the variants' store, or the source for uploads."""
    if isinstance(section, FsStorage):
        return FsStore(section.location, section.base_url)
    from fitter.storage.s3 import S3Store

    return S3Store.from_config(section, f"public, max-age={config.options.max_age}")


def make_source(section: FsStorage | S3Storage) -> Source:
    if isinstance(section, FsStorage):
        Path(section.location).mkdir(parents=True, exist_ok=True)
        return FsSource(section.location)
    from fitter.storage.s3 import S3Source

    return S3Source.from_config(section)


def make_http(
    settings: HttpSettings, config: Config, cache: CacheStore, store: Store
) -> HttpSource:
    from fitter.storage.http import HttpSource

    limits = config.limits
    return HttpSource(
        settings,
        cache,
        store,
        max_bytes=limits.max_source_bytes,
        total_seconds=limits.timeouts.fetch,
    )
