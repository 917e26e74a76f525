"""Single-flight: one call for every caller that needs the same thing at the same moment.

The one single-flight of the package: a burst of requests for a new variant stats and
probes its source once and generates it once (`service`), downloads a remote original
once (`storage.http`), and runs one readiness check however many probes wait on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Runs `make` once per key among the callers that overlap in time.

    The work runs as a task of its own, shielded from its callers: one caller that gives
    up (a client that goes away, a timeout) does not cancel it for the others. Every
    caller gets its result or its exception. Once it is over, the next call starts anew.
    """

    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, make: Callable[[], Awaitable[V]]) -> V:
        return await asyncio.shield(self.start(key, make))

    def start(self, key: K, make: Callable[[], Awaitable[V]]) -> asyncio.Future[V]:
        """The running call for `key`, started now when there is none."""
        running = self._running.get(key)
        if running is None:
            running = asyncio.ensure_future(make())
            self._running[key] = running
            running.add_done_callback(lambda done: self._settled(key, done))
        return running

    def __contains__(self, key: K) -> bool:
        return key in self._running

    async def cancel(self) -> None:
        """Stop every running call (at shutdown: nothing runs on after what it uses closes)."""
        running = list(self._running.values())
        for call in running:
            call.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _settled(self, key: K, done: asyncio.Future[V]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here, so a call nobody awaits any more stays quiet
