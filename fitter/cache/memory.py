"""A bounded in-process LRU with expiry: the embedded default cache store."""

from __future__ import annotations

import time
from collections import OrderedDict


class MemoryCache:
    """Bounded by entry count and by total bytes; the least recently used go first.

    Lives on the event loop, so it needs no lock.
    """

    available = True
    failures = 0

    def __init__(self, max_entries: int, max_bytes: int, ttl: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.size = 0
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        if len(value) > self.max_bytes:
            return
        self._drop(key)
        self._entries[key] = (time.monotonic() + (ttl or self.ttl), value)
        self.size += len(value)
        while len(self._entries) > self.max_entries or self.size > self.max_bytes:
            self._drop(next(iter(self._entries)))

    async def delete(self, key: str) -> None:
        self._drop(key)

    @property
    def count(self) -> int:
        """Entries held. (Not `__len__`: an empty cache must not be falsy.)"""
        return len(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry[1])
