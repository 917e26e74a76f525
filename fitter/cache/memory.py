"""A bounded in-process LRU with expiry: the embedded default cache store."""

from __future__ import annotations

import time
from collections.abc import Callable

from fitter.lru import LRU


class MemoryCache:
    """Bounded by entry count and by total bytes; the least recently used go first.

    Lives on the event loop, so it needs no lock.
    """

    available = True
    failures = 0

    def __init__(
        self,
        max_entries: int,
        max_bytes: int,
        ttl: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._entries: LRU[str, bytes] = LRU(
            max_entries, ttl, max_weight=max_bytes, weigh=len, clock=clock
        )

    async def get(self, key: str) -> bytes | None:
        return self._entries.get(key)

    async def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        self._entries.put(key, value, ttl or self.ttl)

    async def delete(self, key: str) -> None:
        self._entries.pop(key)

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._entries.weight

    @property
    def count(self) -> int:
        """Entries held. (Not `__len__`: an empty cache must not be falsy.)"""
        return len(self._entries)
