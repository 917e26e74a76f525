"""A bounded map that forgets the least recently used entries first, and expired ones.

The one LRU of the package: source versions and headers (`service.originals`), the
in-memory cache store, and the failures `/show` reports. It lives on one event loop (or
one thread) and so needs no lock.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def _count(value: object) -> int:
    return 1


class LRU(Generic[K, V]):
    """At most `max_entries` entries and, with `weigh`, at most `max_weight` in all.

    An entry expires `ttl` seconds after it was put (None: never); an expired entry is
    dropped when it is next looked at. A value heavier than `max_weight` is not kept.
    """

    def __init__(
        self,
        max_entries: int,
        ttl: float | None = None,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] = _count,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self.max_weight = max_weight
        self.weigh = weigh
        self.clock = clock
        self.weight = 0
        self._entries: OrderedDict[K, tuple[float | None, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires is not None and expires <= self.clock():
            self.pop(key)
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """Keep `value`, for `ttl` seconds when given, else for the map's own `ttl`."""
        weight = self.weigh(value)
        self.pop(key)
        if self.max_weight is not None and weight > self.max_weight:
            return
        seconds = ttl if ttl is not None else self.ttl
        expires = None if seconds is None else self.clock() + seconds
        self._entries[key] = (expires, value)
        self.weight += weight
        while len(self._entries) > self.max_entries or (
            self.max_weight is not None and self.weight > self.max_weight
        ):
            self.pop(next(iter(self._entries)))

    def pop(self, key: K) -> V | None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self.weight -= self.weigh(entry[1])
        return entry[1]

    def __len__(self) -> int:
        return len(self._entries)
