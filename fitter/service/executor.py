"""Generation outside the request: what `/show` and `fitter warm` hand their work to.

The in-process executor runs each variant once on the server's own event loop and pool.
It remembers a failure (for a while, and only its public part) until the next `/show` for
that variant reports it, so that a later `/show` tries again. Its queue is bounded: past
`max_pending`, `/show` answers 503 with Retry-After rather than letting work pile up.

With `tasks.broker_url` set, the Celery executor (`fitter.celery_app`) does the same with
`fitter worker` processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from fitter.errors import FitterError, Unavailable
from fitter.lru import LRU
from fitter.service.target import Found, Target

log = logging.getLogger(__name__)

FAILURES_KEPT = 1024
FAILURE_SECONDS = 300.0


class Executor(Protocol):
    async def submit(self, target: Target) -> bool:
        """Queue generation of `target` unless it is already queued; True when queued now
        (Unavailable when it cannot be queued). `target` holds no original's bytes."""
        ...

    async def take_failure(self, key: str) -> FitterError | None:
        """The public error of a failed generation of `key`, once; None when there is none."""
        ...

    async def close(self) -> None: ...


class InProcessExecutor:
    def __init__(
        self, generate: Callable[[Target], Awaitable[Found]], max_pending: int = 256
    ) -> None:
        self.generate = generate
        self.max_pending = max_pending
        self._running: dict[str, asyncio.Task[None]] = {}
        self._failures: LRU[str, FitterError] = LRU(FAILURES_KEPT, ttl=FAILURE_SECONDS)

    async def submit(self, target: Target) -> bool:
        if target.key in self._running:
            return False
        if len(self._running) >= self.max_pending:
            raise Unavailable("too many images are waiting to be generated; try again soon")
        self._running[target.key] = asyncio.create_task(self._run(target))
        return True

    async def take_failure(self, key: str) -> FitterError | None:
        return self._failures.pop(key) if self._failures.get(key) is not None else None

    async def _run(self, target: Target) -> None:
        try:
            await self.generate(target)
        except FitterError as error:
            self._remember(target.key, error)
        except Exception:
            log.exception("background generation of %s failed", target.name)
            self._remember(target.key, FitterError("the image could not be generated"))
        finally:
            del self._running[target.key]

    def _remember(self, key: str, error: FitterError) -> None:
        # Only the public part: a traceback would keep the original's bytes alive.
        error.__traceback__ = error.__context__ = error.__cause__ = None
        self._failures.put(key, error)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
