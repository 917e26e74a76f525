"""Cache stores: small values by key for a while, and cross-process locks (see `base`)."""

from __future__ import annotations

from fitter.cache.base import CacheStore, Locks
from fitter.cache.memory import MemoryCache

__all__ = ["CacheStore", "Locks", "MemoryCache"]
