"""The Redis cache store: shared by every process of a deployment, and their generation locks.

Redis is a cache, never a requirement: when it cannot be reached every operation answers as a
miss (or lets the caller through, for a lock) instead of raising, and for `retry_seconds` after a
failure Redis is not even tried, so an outage costs one timeout per window instead of one per
request. The first operation after the window probes it again; no restart is needed.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from fitter.config import RedisCacheConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Delete the lock only if it still holds our token: a holder whose lock expired and was taken
# by another process must not release the new holder's lock.
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class RedisCache:
    """`CacheStore` and `Locks` on one Redis connection pool; every key starts with the prefix.

    Counters for metrics: `failures` (operations Redis failed) and `bypassed` (operations not
    tried because of a recent failure).
    """

    def __init__(self, config: RedisCacheConfig) -> None:
        self.config = config
        self.prefix = config.prefix
        self.failures = 0
        self.bypassed = 0
        self._available = True
        self._retry_at = 0.0
        # redis-py retries a failed command ten times with backoff by default: that is the
        # latency an outage must not add, and the bypass window already decides when to retry.
        timeout, retry = config.timeout, Retry(NoBackoff(), 0)
        if config.url is not None:
            self._redis = redis.asyncio.from_url(
                config.url.get_secret_value(),
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=retry,
            )
        else:
            password = config.password.get_secret_value() if config.password else None
            self._redis = redis.asyncio.Redis(
                host=config.host,
                port=config.port,
                db=config.db,
                password=password,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=retry,
            )
        self._release = self._redis.register_script(RELEASE)
        self._extend = self._redis.register_script(EXTEND)

    @property
    def available(self) -> bool:
        """False from a failed operation until one succeeds again."""
        return self._available

    async def get(self, key: str) -> bytes | None:
        # Bytes: the client is made without decode_responses.
        found = await self._run("get", lambda: self._redis.get(self.prefix + key), None)
        return found if isinstance(found, bytes) else None

    async def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        # 0 means the default too, as in the memory store (Redis refuses an expiry of 0).
        seconds = ttl or self.config.ttl
        await self._run("set", lambda: self._redis.set(self.prefix + key, value, ex=seconds), None)

    async def delete(self, key: str) -> None:
        await self._run("delete", lambda: self._redis.delete(self.prefix + key), None)

    async def acquire(self, name: str, seconds: float) -> str | None:
        token = secrets.token_hex(16)
        milliseconds = max(1, round(seconds * 1000))
        held: object = await self._run(
            "acquire",
            lambda: self._redis.set(self._lock(name), token, nx=True, px=milliseconds),
            True,  # unreachable: let the caller through with a token nobody else can hold
        )
        return token if held else None

    async def release(self, name: str, token: str) -> None:
        # A token handed out during an outage was never stored: it matches nothing, so this
        # releases nothing whether Redis is back or not.
        await self._run(
            "release", lambda: self._release(keys=[self._lock(name)], args=[token]), None
        )

    async def extend(self, name: str, token: str, seconds: float) -> None:
        milliseconds = max(1, round(seconds * 1000))
        await self._run(
            "extend",
            lambda: self._extend(keys=[self._lock(name)], args=[token, milliseconds]),
            None,
        )

    async def close(self) -> None:
        await self._redis.aclose()

    def _lock(self, name: str) -> str:
        return f"{self.prefix}lock:{name}"

    async def _run(self, action: str, command: Callable[[], Awaitable[T]], fallback: T) -> T:
        """`command`'s result, or `fallback` when Redis fails or is being bypassed."""
        now = time.monotonic()
        if now < self._retry_at:
            self.bypassed += 1
            return fallback
        if not self._available:
            # This operation probes; the others keep bypassing until it has an answer.
            self._retry_at = now + self.config.retry_seconds
        try:
            result = await command()
        except (RedisError, OSError) as error:
            self._failed(action, error)
            return fallback
        if not self._available:
            self._available = True
            self._retry_at = 0.0
            logger.info("Redis cache at %s is back", self._address())
        return result

    def _failed(self, action: str, error: Exception) -> None:
        self.failures += 1
        self._retry_at = time.monotonic() + self.config.retry_seconds
        if self._available:
            self._available = False
            logger.warning(
                "Redis cache at %s failed (%s: %s); serving without it, retrying every %s s",
                self._address(),
                action,
                error,
                self.config.retry_seconds,
            )

    def _address(self) -> str:
        """Where Redis is, for logs: never the URL, which may carry a password."""
        kwargs = self._redis.connection_pool.connection_kwargs
        if "path" in kwargs:
            return str(kwargs["path"])
        return f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"
