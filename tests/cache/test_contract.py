"""The `CacheStore` contract, run against every cache store: in-memory and a real redis-server.

A new backend adopts the suite by adding one branch to the `cache` fixture.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from fitter.cache.base import CacheStore
from fitter.cache.memory import MemoryCache
from fitter.cache.redis import RedisCache
from fitter.config import RedisCacheConfig

DEFAULT_TTL = 60

Check = Callable[[CacheStore], Awaitable[None]]


@dataclass
class Backend:
    """How to make one store, and how to let its entries' time run out."""

    make: Callable[[], CacheStore]
    # True once `key` is gone after its ttl: the memory store's clock is moved on, Redis is
    # polled for a bounded while (its clock cannot be moved).
    expired: Callable[[CacheStore, str, int], Awaitable[bool]]

    def run(self, check: Check) -> None:
        """Run `check` on a new store inside one event loop (redis.asyncio clients are bound to
        the loop that created them), and close the store after it."""

        async def main() -> None:
            store = self.make()
            try:
                await check(store)
            finally:
                close = getattr(store, "close", None)
                if close is not None:
                    await close()

        asyncio.run(main())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def memory_backend() -> Backend:
    clock = Clock()

    async def expired(store: CacheStore, key: str, ttl: int) -> bool:
        clock.now += ttl + 0.5
        return await store.get(key) is None

    def make() -> MemoryCache:
        return MemoryCache(max_entries=1000, max_bytes=10**7, ttl=DEFAULT_TTL, clock=clock)

    return Backend(make, expired)


def redis_backend(port: int) -> Backend:
    # A prefix of its own per test, so no test sees another's keys on the shared server.
    config = RedisCacheConfig(
        type="redis", port=port, prefix=f"contract:{uuid.uuid4().hex}:", ttl=DEFAULT_TTL
    )

    async def expired(store: CacheStore, key: str, ttl: int) -> bool:
        deadline = time.monotonic() + ttl + 2
        while time.monotonic() < deadline:
            if await store.get(key) is None:
                return True
            await asyncio.sleep(0.05)
        return False

    return Backend(lambda: RedisCache(config), expired)


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    if request.param == "memory":
        return memory_backend()
    return redis_backend(request.getfixturevalue("redis_server").port)


def test_a_value_set_is_got_back(cache: Backend) -> None:
    async def check(store: CacheStore) -> None:
        await store.set("a", b"1")
        assert await store.get("a") == b"1"

    cache.run(check)


def test_a_missing_key_is_none(cache: Backend) -> None:
    async def check(store: CacheStore) -> None:
        assert await store.get("never-set") is None

    cache.run(check)


def test_delete_forgets_the_key_and_only_that_key(cache: Backend) -> None:
    async def check(store: CacheStore) -> None:
        await store.set("a", b"1")
        await store.set("b", b"2")
        await store.delete("a")
        assert await store.get("a") is None
        assert await store.get("b") == b"2"

    cache.run(check)


def test_deleting_a_missing_key_is_not_an_error(cache: Backend) -> None:
    async def check(store: CacheStore) -> None:
        await store.delete("never-set")
        assert await store.get("never-set") is None
        assert store.available

    cache.run(check)


def test_setting_a_key_again_replaces_its_value(cache: Backend) -> None:
    async def check(store: CacheStore) -> None:
        await store.set("a", b"first")
        await store.set("a", b"second, and longer")
        assert await store.get("a") == b"second, and longer"

    cache.run(check)


def test_binary_values_come_back_byte_for_byte(cache: Backend) -> None:
    value = bytes(range(256)) + b"\x00\x00\xff\xfe\xc3\x28\x80"  # NUL and invalid UTF-8

    async def check(store: CacheStore) -> None:
        await store.set("bytes", value)
        await store.set("empty", b"")
        assert await store.get("bytes") == value
        assert await store.get("empty") == b""

    cache.run(check)


def test_an_entry_expires_after_its_ttl_and_the_default_ttl_is_kept(cache: Backend) -> None:
    async def check(store: CacheStore) -> None:
        await store.set("short", b"s", ttl=1)
        await store.set("default", b"d")
        assert await store.get("short") == b"s"
        assert await cache.expired(store, "short", 1)
        assert await store.get("default") == b"d"

    cache.run(check)


def test_many_concurrent_operations_each_get_their_own_value(cache: Backend) -> None:
    keys = [f"key{n}" for n in range(100)]

    async def check(store: CacheStore) -> None:
        await asyncio.gather(*(store.set(key, key.encode()) for key in keys))
        values = await asyncio.gather(*(store.get(key) for key in keys))
        assert values == [key.encode() for key in keys]

    cache.run(check)


def test_a_reachable_store_is_available_and_counts_no_failures(cache: Backend) -> None:
    async def check(store: CacheStore) -> None:
        await store.set("a", b"1")
        await store.get("a")
        await store.delete("a")
        assert store.available is True
        assert store.failures == 0

    cache.run(check)
