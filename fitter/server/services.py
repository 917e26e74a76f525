"""The parts of a running server, built once from a Config and shared by the routes."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from fitter import engine
from fitter.backends import Backends, open_backends
from fitter.checks import check_config, security_warnings
from fitter.config import Config, RedisCacheConfig
from fitter.dialects.native import Rules
from fitter.pipeline import Pipeline, Settings
from fitter.server.metrics import Metrics
from fitter.tasks import Executor, make_executor
from fitter.uploads import UploadRules, Uploads

log = logging.getLogger("fitter")


@dataclass
class Services:
    """What the routes use; one per application, never global."""

    config: Config
    pipeline: Pipeline
    executor: Executor
    rules: Rules
    metrics: Metrics
    backends: Backends
    uploads: Uploads | None = None

    async def close(self) -> None:
        await self.executor.close()
        await self.backends.close()


def build_services(config: Config) -> Services:
    check_config(config)
    for warning in security_warnings(config):
        log.warning(warning)
    engine.setup(enable_svg=config.limits.svg)
    backends = open_backends(config)
    limits, options, cache = config.limits, config.options, config.cache_store
    settings = Settings(
        prefix=options.prefix,
        shard=options.shard,
        enable_hash=options.enable_hash,
        max_width=limits.max_width,
        max_height=limits.max_height,
        max_source_pixels=limits.max_source_pixels,
        max_source_bytes=limits.max_source_bytes,
        inline_bytes=cache.inline_bytes,
        threads=limits.concurrency or os.cpu_count() or 1,
        queue_seconds=limits.timeouts.queue,
        processing_seconds=limits.timeouts.processing,
        enable_svg=limits.svg,
        source_ttl=options.source_ttl,
        lock_seconds=(
            cache.lock_seconds if isinstance(cache, RedisCacheConfig) else Settings.lock_seconds
        ),
    )
    pipeline = Pipeline(backends.source, backends.store, backends.cache, settings, backends.locks)
    rules = Rules(
        default_format=options.default_format,
        max_width=limits.max_width,
        max_height=limits.max_height,
        presets=options.presets,
        allowed_sizes=options.sizes,
        allowed_formats=options.formats,
        presets_only=options.presets_only,
    )
    executor = make_executor(config.tasks, pipeline)
    uploads = None
    if backends.uploads is not None:
        upload_rules = UploadRules(limits.max_upload_bytes, options.upload_overwrite)
        uploads = Uploads(backends.uploads, pipeline, upload_rules)
    return Services(config, pipeline, executor, rules, Metrics(pipeline), backends, uploads)
