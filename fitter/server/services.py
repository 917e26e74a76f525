"""The parts of a running server, built once from a Config and shared by the routes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fitter import engine
from fitter.cache import make_cache
from fitter.config import Config, ConfigError, FsStorage
from fitter.dialects.native import Rules, preset_problems
from fitter.pipeline import Pipeline, Settings
from fitter.server.metrics import Metrics
from fitter.storage import make_source, make_store
from fitter.tasks import InProcessExecutor


@dataclass
class Services:
    """What the routes use; one per application, never global."""

    config: Config
    pipeline: Pipeline
    executor: InProcessExecutor
    rules: Rules
    metrics: Metrics


def check(config: Config) -> None:
    """What the models alone cannot see: presets are checked by the grammar that reads them,
    and a setting whose feature this version lacks is refused rather than ignored."""
    problems = preset_problems(config.options.presets)
    if config.security.key:
        problems.append("security.key: signed URLs are not supported by this version yet")
    if problems:
        raise ConfigError(problems)


def build_services(config: Config) -> Services:
    check(config)
    engine.setup()
    source_config = config.storage.source
    if isinstance(source_config, FsStorage):
        Path(source_config.location).mkdir(parents=True, exist_ok=True)
    limits, options = config.limits, config.options
    settings = Settings(
        prefix=options.prefix,
        shard=options.shard,
        enable_hash=options.enable_hash,
        max_width=limits.max_width,
        max_height=limits.max_height,
        max_source_pixels=limits.max_source_pixels,
        inline_bytes=config.cache_store.inline_bytes,
        threads=limits.concurrency or os.cpu_count() or 1,
        max_source_bytes=limits.max_source_bytes,
    )
    pipeline = Pipeline(
        make_source(config.storage),
        make_store(config.storage),
        make_cache(config.cache_store),
        settings,
    )
    rules = Rules(
        default_format=options.default_format,
        max_width=limits.max_width,
        max_height=limits.max_height,
        presets=options.presets,
    )
    return Services(config, pipeline, InProcessExecutor(pipeline), rules, Metrics(pipeline))
