"""Storage backends, built from their configuration section."""

from __future__ import annotations

from fitter.config import ConfigError, FsStorage, StorageConfig
from fitter.storage.base import Original, Source, SourceStat, Store
from fitter.storage.fs import FsSource, FsStore

__all__ = ["Original", "Source", "SourceStat", "Store", "make_source", "make_store"]


def make_source(config: StorageConfig) -> Source:
    section = config.source or config.store
    if isinstance(section, FsStorage):
        return FsSource(section.location)
    raise ConfigError([f"storage.source.type: {section.type!r} is not supported yet (use fs)"])


def make_store(config: StorageConfig) -> Store:
    section = config.store
    if isinstance(section, FsStorage):
        return FsStore(section.location, section.base_url)
    raise ConfigError([f"storage.store.type: {section.type!r} is not supported yet (use fs)"])
