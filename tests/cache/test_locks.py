"""The contract of `Locks` (single-flight across processes), run against each backend
that has them: Redis on the real redis-server. A new one joins in the `locks` fixture."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest

from fitter.cache import Locks
from fitter.cache.redis import RedisCache
from fitter.config import RedisCacheConfig
from support import services

Check = Callable[[Locks], Awaitable[None]]


@pytest.fixture(params=["redis"])
def with_locks(request: pytest.FixtureRequest) -> Callable[[Check], None]:
    """Runs a check on a fresh backend, inside one event loop (clients are bound to it)."""

    def run(check: Check) -> None:
        async def main() -> None:
            server: services.RedisServer = request.getfixturevalue("redis_server")
            prefix = f"locks:{uuid.uuid4().hex}:"
            cache = RedisCache(RedisCacheConfig(type="redis", port=server.port, prefix=prefix))
            try:
                await check(cache)
            finally:
                await cache.close()

        asyncio.run(main())

    return run


def test_a_held_lock_is_refused_until_released(with_locks) -> None:
    async def check(locks: Locks) -> None:
        token = await locks.acquire("variant", 10)
        assert token is not None
        assert await locks.acquire("variant", 10) is None
        assert await locks.acquire("other", 10) is not None
        await locks.release("variant", token)
        again = await locks.acquire("variant", 10)
        assert again is not None
        assert again != token

    with_locks(check)


def test_a_wrong_token_releases_nothing(with_locks) -> None:
    async def check(locks: Locks) -> None:
        token = await locks.acquire("variant", 10)
        assert token is not None
        await locks.release("variant", "not-the-token")
        assert await locks.acquire("variant", 10) is None

    with_locks(check)


def test_a_lock_expires_after_its_seconds(with_locks) -> None:
    async def check(locks: Locks) -> None:
        first = await locks.acquire("variant", 1)
        assert first is not None
        assert await locks.acquire("variant", 1) is None
        deadline = time.monotonic() + 10
        second = None
        while second is None:
            assert time.monotonic() < deadline, "the lock did not expire"
            await asyncio.sleep(0.05)
            second = await locks.acquire("variant", 10)
        await locks.release("variant", first)  # the expired holder's release is a no-op
        assert await locks.acquire("variant", 10) is None

    with_locks(check)


def test_extending_keeps_the_lock_past_its_first_seconds(with_locks) -> None:
    async def check(locks: Locks) -> None:
        taken = time.monotonic()
        token = await locks.acquire("job", 1)
        assert token is not None
        await locks.extend("job", "not-the-token", 60)  # not the holder: changes nothing
        await locks.extend("job", token, 60)
        if time.monotonic() - taken > 0.8:
            pytest.skip("the machine stalled past the lock's first second: nothing to see")
        # Past the first second, the extended lock is still held.
        while time.monotonic() - taken < 1.5:
            await asyncio.sleep(0.05)
        assert await locks.acquire("job", 1) is None
        await locks.release("job", token)
        assert await locks.acquire("job", 1) is not None

    with_locks(check)


def test_extending_with_another_token_lets_the_lock_expire(with_locks) -> None:
    async def check(locks: Locks) -> None:
        token = await locks.acquire("job", 0.5)
        assert token is not None
        await locks.extend("job", "not-the-token", 60)
        deadline = time.monotonic() + 10
        while await locks.acquire("job", 10) is None:
            assert time.monotonic() < deadline, "the lock was extended by a stranger"
            await asyncio.sleep(0.05)

    with_locks(check)
