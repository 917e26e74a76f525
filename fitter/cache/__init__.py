"""Cache stores, built from their configuration section."""

from __future__ import annotations

from fitter.cache.base import CacheStore, Locks
from fitter.cache.memory import MemoryCache
from fitter.config import CacheConfig, ConfigError, MemoryCacheConfig

__all__ = ["CacheStore", "Locks", "MemoryCache", "make_cache"]


def make_cache(config: CacheConfig) -> CacheStore:
    if isinstance(config, MemoryCacheConfig):
        return MemoryCache(config.max_entries, config.max_bytes, config.ttl)
    raise ConfigError([f"cache_store.type: {config.type!r} is not supported yet (use in-memory)"])
