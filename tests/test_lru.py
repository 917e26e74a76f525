"""The one bounded LRU: entries, weight, expiry."""

from __future__ import annotations

from fitter.lru import LRU


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_used_goes_first() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now the most recent
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)
    assert len(lru) == 2


def test_weight_is_bounded_and_a_value_too_heavy_is_not_kept() -> None:
    lru: LRU[str, bytes] = LRU(100, max_weight=10, weigh=len)
    for key in "abc":
        lru.put(key, b"xxxx")
    assert lru.weight == 8 and lru.get("a") is None
    lru.put("b", b"y" * 11)  # replaces b, and is too heavy to keep
    assert lru.get("b") is None and lru.weight == 4
    assert lru.pop("c") == b"xxxx" and lru.weight == 0


def test_entries_expire_by_the_maps_ttl_or_their_own() -> None:
    clock = Clock()
    lru: LRU[str, int] = LRU(10, ttl=60, clock=clock)
    lru.put("default", 1)
    lru.put("short", 2, ttl=5)
    lru.put("forever", 3, ttl=None)
    clock.now += 6
    assert (lru.get("default"), lru.get("short")) == (1, None)
    clock.now += 60
    assert lru.get("default") is None
    assert len(lru) == 1  # expired entries go when they are looked at


def test_without_a_ttl_nothing_expires() -> None:
    clock = Clock()
    lru: LRU[str, int] = LRU(10, clock=clock)
    lru.put("a", 1)
    clock.now += 10**9
    assert lru.get("a") == 1
