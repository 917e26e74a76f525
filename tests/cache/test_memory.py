"""The in-memory cache store: bounded by entries and bytes, least recently used out first."""

from __future__ import annotations

import asyncio

import pytest

from fitter.cache.memory import MemoryCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def run(coroutine):
    return asyncio.run(coroutine)


def test_get_returns_what_set_stored_and_none_for_a_missing_key():
    cache = MemoryCache(max_entries=10, max_bytes=1000, ttl=60)
    run(cache.set("a", b"1"))
    assert run(cache.get("a")) == b"1"
    assert run(cache.get("b")) is None
    run(cache.delete("a"))
    run(cache.delete("never-there"))
    assert run(cache.get("a")) is None
    assert cache.size == 0


def test_the_least_recently_used_entry_goes_first_when_entries_are_full():
    cache = MemoryCache(max_entries=2, max_bytes=1000, ttl=60)
    run(cache.set("a", b"1"))
    run(cache.set("b", b"2"))
    run(cache.get("a"))
    run(cache.set("c", b"3"))
    assert run(cache.get("b")) is None
    assert run(cache.get("a")) == b"1"
    assert run(cache.get("c")) == b"3"


def test_the_byte_budget_is_kept():
    cache = MemoryCache(max_entries=100, max_bytes=10, ttl=60)
    for key in "abcd":
        run(cache.set(key, b"xxxx"))
    assert cache.size <= 10
    assert cache.count == 2
    run(cache.set("huge", b"y" * 11))
    assert run(cache.get("huge")) is None
    run(cache.set("c", b"zz"))
    assert cache.size == 6


def test_entries_expire_after_their_ttl(clock):
    cache = MemoryCache(max_entries=10, max_bytes=1000, ttl=60, clock=clock)
    run(cache.set("default", b"1"))
    run(cache.set("short", b"2", ttl=5))
    clock.now += 6
    assert run(cache.get("short")) is None
    assert run(cache.get("default")) == b"1"
    clock.now += 60
    assert run(cache.get("default")) is None
    assert cache.size == 0
