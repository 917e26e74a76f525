"""Making a variant: once however many requests ask at the same moment, here or in other
processes, and within the pool, the limits and the deadline.

In one process a single-flight joins the requests for one key. Across processes (a cache
store with locks, such as Redis) the holder of the variant's lock generates and the
others wait for its result; a holder that crashed lets its lock expire and the next
waiter takes over, and a holder keeps extending its lock while it works. Whoever gets to
generate looks in the store first: the variant may have been finished a moment ago.
"""

from __future__ import annotations

import asyncio
import time

from fitter import engine
from fitter.cache import Locks
from fitter.config import Limits
from fitter.errors import Unavailable
from fitter.flight import SingleFlight
from fitter.service.events import Events
from fitter.service.originals import Originals
from fitter.service.pool import ImagePool, in_thread
from fitter.service.target import Found, Target
from fitter.service.variants import Variants
from fitter.storage import Store

LOCK_POLL_SECONDS = 0.05
STORE_POLL_EVERY = 10  # polls: the store is looked at every half second


def as_miss(found: Found) -> Found:
    """A variant this request waited for: it was generated for it, so it counts as a miss."""
    return Found(found.variant, "miss", found.data)


class Generator:
    def __init__(
        self,
        originals: Originals,
        variants: Variants,
        store: Store,
        pool: ImagePool,
        limits: Limits,
        events: Events,
        locks: Locks | None = None,
        lock_seconds: float = 30.0,
    ) -> None:
        self.originals = originals
        self.variants = variants
        self.store = store
        self.pool = pool
        self.limits = limits
        self.events = events
        self.locks = locks
        self.lock_seconds = lock_seconds
        self._flights: SingleFlight[str, Found] = SingleFlight()

    async def close(self) -> None:
        """Stop the generations still running (their callers are gone at shutdown)."""
        await self._flights.cancel()

    async def make(self, target: Target) -> Found:
        """The variant from the store, else generated; the same answer for every caller
        that asks while it is being made."""
        return await self._flights.run(target.key, lambda: self._make(target))

    async def _make(self, target: Target) -> Found:
        if self.locks is None:
            return await self.variants.stored(target) or await self._generate(target)
        return await self._make_locked(target, self.locks)

    async def _make_locked(self, target: Target, locks: Locks) -> Found:
        name = "generate:" + target.key
        deadline = time.monotonic() + 2 * self.lock_seconds
        polls = 0
        while True:
            token = await locks.acquire(name, self.lock_seconds)
            if token is not None:
                keeper = asyncio.create_task(self._keep(locks, name, token))
                try:
                    found = await self.variants.stored(target)
                    return as_miss(found) if found else await self._generate(target)
                finally:
                    keeper.cancel()
                    await locks.release(name, token)
            await asyncio.sleep(LOCK_POLL_SECONDS)
            # The holder records the variant in the shared cache store once it is stored;
            # every so often the store itself is asked, in case that record was lost.
            polls += 1
            found = await self.variants.cached(target)
            if found is None and polls % STORE_POLL_EVERY == 0:
                found = await self.variants.stored(target)
            if found is not None:
                return as_miss(found)
            if time.monotonic() > deadline:
                raise Unavailable("the image is still being generated elsewhere; try again")

    async def _keep(self, locks: Locks, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self.lock_seconds / 3)
            await locks.extend(name, token, self.lock_seconds)

    async def _generate(self, target: Target) -> Found:
        rendered = await self.render(target)
        await self.store.save(target.name, rendered.data, target.output.format.media_type)
        variant = target.variant(rendered.width, rendered.height, len(rendered.data))
        await self.variants.remember(variant, rendered.data)
        return Found(variant, "miss", rendered.data)

    async def render(self, target: Target) -> engine.Rendered:
        """The variant's bytes, from the engine, in the pool.

        The originals are read once the render is admitted, and the slot taken once they
        are read (see `service.pool`)."""
        async with self.pool.admitted():
            original = await self.originals.body(target.source)
            extras = {e.path: await self.originals.body(e) for e in target.extras}
            job = engine.Job(
                target.plan,
                target.output,
                target.source.info,
                original,
                target.layout,
                self.limits.box,
                extras,
            )
            async with self.pool.slot():
                return await in_thread(self._timed, job)

    def _timed(self, job: engine.Job) -> engine.Rendered:
        """`engine.render` in the worker thread, its seconds reported whatever the outcome
        (the wait for a slot is not engine time: it shows in the pool's `waiting`)."""
        started = time.perf_counter()
        try:
            return engine.render(job, self.limits.timeouts.processing)
        finally:
            self.events.rendered(time.perf_counter() - started)
