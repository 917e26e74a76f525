"""The image pool: pixel work in a bounded number of threads, off the event loop.

A request that cannot get a slot within `queue_seconds` is answered 503 with Retry-After:
under overload, latency stays bounded instead of growing. A render is first admitted
(twice as many renders as slots may be admitted: the next originals are read while the
current ones are drawn), then reads its original, then takes a slot: so what waits for
the pool holds at most that many originals, however many requests queue, and no slot is
held while an original is read from a remote storage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar, TypeVarTuple

import anyio
import anyio.to_thread

from fitter.errors import Unavailable

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class ImagePool:
    def __init__(self, threads: int, queue_seconds: float) -> None:
        self.threads = threads
        self.queue_seconds = queue_seconds
        # Images waiting for a slot, and holding one: the queue depth, for /metrics.
        self.waiting = 0
        self.working = 0
        # Renders waiting to be admitted (they hold no original yet).
        self.admitting = 0
        self._limiter = anyio.CapacityLimiter(threads)
        self._admission = anyio.CapacityLimiter(2 * threads)

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """Be one of the renders that may hold an original (Unavailable after
        `queue_seconds` of waiting)."""
        self.admitting += 1
        try:
            borrower = await self._acquire(self._admission)
        finally:
            self.admitting -= 1
        try:
            yield
        finally:
            self._admission.release_on_behalf_of(borrower)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the pool's slots (Unavailable after `queue_seconds` of waiting)."""
        self.waiting += 1
        try:
            borrower = await self._acquire(self._limiter)
        finally:
            self.waiting -= 1
        self.working += 1
        try:
            yield
        finally:
            self.working -= 1
            self._limiter.release_on_behalf_of(borrower)

    async def _acquire(self, limiter: anyio.CapacityLimiter) -> object:
        # Each hold is its own borrower: a task may hold more than one (anyio's default
        # borrower, the task, would refuse a second).
        borrower = object()
        try:
            with anyio.fail_after(self.queue_seconds):
                await limiter.acquire_on_behalf_of(borrower)
        except TimeoutError:
            raise Unavailable("the server is busy; try again soon", retry_after=2) from None
        return borrower

    async def run(self, function: Callable[[*Ts], T], *args: *Ts) -> T:
        """`function(*args)` in a thread, once a slot is free."""
        async with self.slot():
            return await in_thread(function, *args)


async def in_thread(function: Callable[[*Ts], T], *args: *Ts) -> T:
    """`function(*args)` in a worker thread: for pixel work of a caller holding a slot."""
    return await anyio.to_thread.run_sync(function, *args)
