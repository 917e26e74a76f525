"""The Redis cache store on a real redis-server: keys, connection forms, outages, locks.

What every cache store must do is in test_contract.py, what every lock must do in
test_locks.py; this is what only Redis does.
Tests that stop Redis start a server of their own, so the shared one is never disturbed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from pydantic import SecretStr

from fitter.cache import redis as redis_cache
from fitter.cache.redis import RedisCache
from fitter.config import RedisCacheConfig
from support import services

LOGGER = "fitter.cache.redis"


def config(port: int, **settings: Any) -> RedisCacheConfig:
    settings.setdefault("prefix", f"test:{uuid.uuid4().hex}:")
    return RedisCacheConfig(type="redis", port=port, **settings)


def run(settings: RedisCacheConfig, check: Callable[[RedisCache], Awaitable[None]]) -> None:
    """Run `check` on a new RedisCache inside one event loop, which the client is bound to."""

    async def main() -> None:
        cache = RedisCache(settings)
        try:
            await check(cache)
        finally:
            await cache.close()

    asyncio.run(main())


def raw(port: int, db: int = 0) -> redis.Redis:
    return redis.Redis(port=port, db=db)


class Clock:
    """The store's own clock, moved by hand so the bypass window is exact.

    Only `fitter.cache.redis`'s name `time` is replaced: patching `time.monotonic` itself would
    also freeze the event loop's clock, which redis-py's timeouts run on.
    """

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(redis_cache, "time", SimpleNamespace(monotonic=fake))
    return fake


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[services.RedisServer]:
    """A redis-server for this test alone: it may be stopped and restarted."""
    server = services.start_redis(tmp_path / "redis")
    yield server
    server.stop()


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


def infos(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.INFO]


# Keys and connection forms.


def test_every_key_carries_the_prefix(redis_server: services.RedisServer) -> None:
    settings = config(redis_server.port)
    prefix = settings.prefix

    async def check(cache: RedisCache) -> None:
        await cache.set("variant", b"meta")
        token = await cache.acquire("variant", 5)
        assert token is not None
        keys = sorted(k.decode() for k in raw(redis_server.port).scan_iter(f"{prefix}*"))
        assert keys == [f"{prefix}lock:variant", f"{prefix}variant"]
        assert raw(redis_server.port).get(f"{prefix}lock:variant") == token.encode()
        assert raw(redis_server.port).get("variant") is None

    run(settings, check)


def test_two_prefixes_do_not_see_each_other(redis_server: services.RedisServer) -> None:
    first = config(redis_server.port)
    second = config(redis_server.port)

    async def check(cache: RedisCache) -> None:
        other = RedisCache(second)
        try:
            await cache.set("same", b"first")
            assert await other.get("same") is None
            await other.set("same", b"second")
            assert await cache.get("same") == b"first"
        finally:
            await other.close()

    run(first, check)


def test_set_uses_the_configured_ttl_or_the_given_one(redis_server: services.RedisServer) -> None:
    settings = config(redis_server.port, ttl=3600)
    client = raw(redis_server.port)

    async def check(cache: RedisCache) -> None:
        await cache.set("default", b"d")
        await cache.set("given", b"g", ttl=120)
        assert 3590 <= client.ttl(f"{settings.prefix}default") <= 3600
        assert 110 <= client.ttl(f"{settings.prefix}given") <= 120

    run(settings, check)


def test_the_url_form_connects_to_its_database(redis_server: services.RedisServer) -> None:
    settings = config(0, url=SecretStr(f"redis://127.0.0.1:{redis_server.port}/2"))

    async def check(cache: RedisCache) -> None:
        await cache.set("k", b"by url")
        assert await cache.get("k") == b"by url"

    run(settings, check)
    assert raw(redis_server.port, db=2).get(f"{settings.prefix}k") == b"by url"
    assert raw(redis_server.port, db=0).get(f"{settings.prefix}k") is None


def test_the_host_port_db_form_connects_to_its_database(
    redis_server: services.RedisServer,
) -> None:
    settings = config(redis_server.port, host="127.0.0.1", db=3)

    async def check(cache: RedisCache) -> None:
        await cache.set("k", b"by host")
        assert await cache.get("k") == b"by host"

    run(settings, check)
    assert raw(redis_server.port, db=3).get(f"{settings.prefix}k") == b"by host"
    assert raw(redis_server.port, db=0).get(f"{settings.prefix}k") is None


def test_a_password_is_sent_in_both_forms_and_never_logged(
    own_redis: services.RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    raw(own_redis.port).config_set("requirepass", "s3cret-word")
    forms = [
        config(own_redis.port, password=SecretStr("s3cret-word")),
        config(0, url=SecretStr(f"redis://:s3cret-word@127.0.0.1:{own_redis.port}/0")),
    ]
    for settings in forms:

        async def check(cache: RedisCache) -> None:
            await cache.set("k", b"v")
            assert await cache.get("k") == b"v"
            assert cache.available

        run(settings, check)

    async def refused(cache: RedisCache) -> None:
        assert await cache.get("k") is None
        assert not cache.available

    caplog.set_level(logging.INFO, logger=LOGGER)
    run(config(0, url=SecretStr(f"redis://:wrong-word@127.0.0.1:{own_redis.port}/0")), refused)
    assert len(warnings(caplog)) == 1
    assert "wrong-word" not in caplog.text


# Outages.


def test_an_outage_is_survived_logged_once_bypassed_and_recovered(
    own_redis: services.RedisServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    settings = config(own_redis.port, retry_seconds=0.2)

    async def check(cache: RedisCache) -> None:
        await cache.set("k", b"before")
        assert await cache.get("k") == b"before"
        own_redis.stop()

        # Each operation after a window has passed tries Redis and fails; none raises.
        for n in range(20):
            clock.now += settings.retry_seconds
            operation = n % 4
            if operation == 0:
                assert await cache.get("k") is None
            elif operation == 1:
                await cache.set("k", b"during")
            elif operation == 2:
                await cache.delete("k")
            else:
                assert await cache.acquire("lock", 5) is not None
        assert cache.failures == 20
        assert not cache.available
        assert len(warnings(caplog)) == 1
        assert "failed" in warnings(caplog)[0].getMessage()

        # Inside the window Redis is not tried at all: nothing is counted as failed.
        for _ in range(20):
            assert await cache.get("k") is None
        assert cache.failures == 20
        assert cache.bypassed == 20

        own_redis.start()
        assert await cache.get("k") is None  # still inside the window: not tried yet
        assert cache.bypassed == 21
        clock.now += settings.retry_seconds
        await cache.set("k", b"after")  # the probe succeeds: no new RedisCache needed
        assert cache.available
        assert await cache.get("k") == b"after"
        assert cache.failures == 20
        assert [r.getMessage() for r in infos(caplog)] == [
            f"Redis cache at localhost:{own_redis.port}/0 is back"
        ]

        # A second outage is a new outage: warned about again, once.
        own_redis.stop()
        for _ in range(5):
            clock.now += settings.retry_seconds
            assert await cache.get("k") is None
        assert len(warnings(caplog)) == 2

    run(settings, check)


def test_an_outage_ends_by_itself_on_the_real_clock(own_redis: services.RedisServer) -> None:
    settings = config(own_redis.port, retry_seconds=0.2)

    async def check(cache: RedisCache) -> None:
        own_redis.stop()
        assert await cache.get("k") is None
        assert not cache.available
        own_redis.start()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            await cache.set("k", b"back")
            if await cache.get("k") == b"back":
                break
            await asyncio.sleep(0.05)
        assert cache.available
        assert await cache.get("k") == b"back"

    run(settings, check)


class Silent:
    """A TCP listener that accepts connections and never answers: a hung Redis."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() does not
        self.socket.close()
        self.thread.join(5)
        for connection in self.connections:
            connection.close()


def test_a_hung_redis_costs_one_timeout_per_window_not_one_per_operation(clock: Clock) -> None:
    silent = Silent()
    settings = config(silent.port, host="127.0.0.1", timeout=0.2, retry_seconds=60)

    async def check(cache: RedisCache) -> None:
        for _ in range(20):
            assert await cache.get("k") is None
        assert await cache.acquire("lock", 5) is not None
        await cache.release("lock", "token")
        assert not cache.available
        assert cache.failures == 1
        assert cache.bypassed == 21
        # When the window ends, one operation probes; those arriving meanwhile do not wait.
        clock.now += settings.retry_seconds
        values = await asyncio.gather(*(cache.get("k") for _ in range(10)))
        assert values == [None] * 10
        assert cache.failures == 2
        assert cache.bypassed == 30

    try:
        run(settings, check)
        assert len(silent.connections) == 2
    finally:
        silent.close()


# Locks.


def test_locks_let_callers_through_while_redis_is_down(own_redis: services.RedisServer) -> None:
    settings = config(own_redis.port, retry_seconds=0)

    async def check(cache: RedisCache) -> None:
        own_redis.stop()
        first = await cache.acquire("variant", 10)
        second = await cache.acquire("variant", 10)
        assert first is not None
        assert second is not None
        assert first != second
        await cache.release("variant", first)
        assert not cache.available
        own_redis.start()
        # The tokens handed out during the outage were never stored: the lock is free.
        third = await cache.acquire("variant", 10)
        assert cache.available
        assert third is not None
        assert await cache.acquire("variant", 10) is None

    run(settings, check)


def test_extending_sets_a_new_expiry_only_with_the_token(redis_server: services.RedisServer):
    settings = config(redis_server.port)
    key = f"{settings.prefix}lock:job"

    async def check(cache: RedisCache) -> None:
        token = await cache.acquire("job", 2)
        assert token is not None
        await cache.extend("job", "not-the-token", 50)
        assert raw(redis_server.port).pttl(key) <= 2000
        await cache.extend("job", token, 50)
        assert raw(redis_server.port).pttl(key) > 40_000

    run(settings, check)
