"""The composition root: a configuration into backends, a service and what serves it.

The server, the Celery worker, `fitter warm` and the local tools (`convert`, `backup`)
all build their service here, so each is the same service over its own backends. Each
backend's module is imported only when configured (boto3, redis and httpx load nothing
for a server that does not use them).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fitter import engine
from fitter.cache import CacheStore, Locks, MemoryCache
from fitter.checks import check_config, security_warnings
from fitter.config import (
    Config,
    FsStorage,
    HttpSettings,
    HttpStorage,
    MemoryCacheConfig,
    RedisCacheConfig,
    S3Storage,
)
from fitter.dialects.rules import Rules
from fitter.service import (
    Events,
    Executor,
    Found,
    ImagePool,
    InProcessExecutor,
    Quiet,
    Service,
    Target,
)
from fitter.service.generation import Generator
from fitter.service.naming import Naming
from fitter.service.originals import Originals
from fitter.service.variants import Variants
from fitter.storage import Source, Store
from fitter.storage.fs import FsSource, FsStore
from fitter.storage.router import BaseUrlSource, SourceRouter
from fitter.uploads import UploadRules, Uploads

if TYPE_CHECKING:
    from fitter.storage.http import HttpSource

log = logging.getLogger("fitter")
Closer = Callable[[], Awaitable[None]]


@dataclass
class Services:
    """What a program built from a configuration uses; one per application, never global."""

    config: Config
    service: Service
    rules: Rules
    source: SourceRouter
    uploads: Uploads | None = None
    closing: list[Closer] = field(default_factory=list)

    async def close(self) -> None:
        await self.service.close()
        for close in self.closing:
            await close()


def build_services(config: Config, events: Events | None = None) -> Services:
    """Everything the server (and the worker, and `fitter warm`) needs, checked first."""
    check_config(config)
    for warning in security_warnings(config):
        log.warning(warning)
    engine.setup(enable_svg=config.limits.svg)
    closing: list[Closer] = []
    cache, locks = make_cache(config, closing)
    store = make_writer(config.storage.store, config)
    source = make_sources(config, cache, store, closing)
    service = assemble(config, source, store, cache, events or Quiet(), locks)
    uploads = None
    section = config.storage.originals
    if config.options.enable_upload and not isinstance(section, HttpStorage):
        limits = UploadRules(config.limits.max_upload_bytes, config.options.upload_overwrite)
        uploads = Uploads(make_writer(section, config), service, limits)
    rules = Rules.of(config.options, config.limits)
    return Services(config, service, rules, source, uploads, closing)


def assemble(
    config: Config,
    source: Source,
    store: Store,
    cache: CacheStore,
    events: Events,
    locks: Locks | None = None,
    threads: int | None = None,
    queue: bool = True,
) -> Service:
    """The service over these backends, with the configuration's limits and options;
    without `queue`, work is never handed to Celery (the local tools queue nothing)."""
    limits, options, section = config.limits, config.options, config.cache_store
    pool = ImagePool(threads or limits.concurrency or os.cpu_count() or 1, limits.timeouts.queue)
    originals = Originals(source, pool, limits, options.source_ttl)
    variants = Variants(cache, store, pool, section.inline_bytes)
    lock_seconds = section.lock_seconds if isinstance(section, RedisCacheConfig) else 30.0
    generator = Generator(originals, variants, store, pool, limits, events, locks, lock_seconds)
    naming = Naming(options.prefix, options.shard, options.enable_hash)
    executor = make_executor(config, generator.make) if queue else InProcessExecutor(generator.make)
    return Service(originals, variants, generator, naming, executor, events, limits.box)


def make_executor(config: Config, generate: Callable[[Target], Awaitable[Found]]) -> Executor:
    if config.tasks.broker_url is None:
        return InProcessExecutor(generate)
    from fitter.celery_app import CeleryExecutor

    return CeleryExecutor(config.tasks)


def make_cache(config: Config, closing: list[Closer]) -> tuple[CacheStore, Locks | None]:
    section = config.cache_store
    if isinstance(section, MemoryCacheConfig):
        return MemoryCache(section.max_entries, section.max_bytes, section.ttl), None
    from fitter.cache.redis import RedisCache

    redis = RedisCache(section)
    closing.append(redis.close)
    return redis, redis


def make_sources(
    config: Config, cache: CacheStore, store: Store, closing: list[Closer]
) -> SourceRouter:
    """The main source, with the http source beside it when one is configured."""
    section = config.storage.originals
    http_settings = section if isinstance(section, HttpStorage) else config.sources.http
    http = None
    if http_settings is not None:
        http = make_http(http_settings, config, cache, store)
        closing.append(http.close)
    if isinstance(section, HttpStorage):
        assert http is not None
        main: Source = BaseUrlSource(http, section.allow[0])
    else:
        main = make_source(section)
    return SourceRouter(main, http)


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
