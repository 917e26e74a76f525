"""Generation outside the request: what `/show` hands its work to.

The in-process executor runs each variant once on the server's own event loop and pool.
It remembers a failure (for a while, and only its public part) until the next `/show` for
that variant reports it, so that a later `/show` tries again. Its queue is bounded: past
`max_pending`, `/show` answers 503 with Retry-After rather than letting work pile up.

With `tasks.broker_url` set, `make_executor` gives the Celery executor instead
(`fitter.celery_app`): the same three calls, the work done by `fitter worker` processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Protocol

from fitter.config import Tasks
from fitter.errors import FitterError, Unavailable
from fitter.pipeline import Pipeline, Target

log = logging.getLogger(__name__)

FAILURES_KEPT = 1024
FAILURE_SECONDS = 300.0


class Executor(Protocol):
    async def submit(self, target: Target) -> bool:
        """Queue generation of `target` unless it is already queued; True when queued now
        (Unavailable when it cannot be queued)."""

    async def take_failure(self, key: str) -> FitterError | None:
        """The public error of a failed generation of `key`, once; None when there is none."""

    async def close(self) -> None: ...


def make_executor(settings: Tasks, pipeline: Pipeline) -> Executor:
    if settings.broker_url is None:
        return InProcessExecutor(pipeline)
    from fitter.celery_app import CeleryExecutor

    return CeleryExecutor(settings)


class InProcessExecutor:
    def __init__(self, pipeline: Pipeline, max_pending: int = 256) -> None:
        self.pipeline = pipeline
        self.max_pending = max_pending
        self._running: dict[str, asyncio.Task[None]] = {}
        self._failures: OrderedDict[str, tuple[float, FitterError]] = OrderedDict()

    async def submit(self, target: Target) -> bool:
        """Queue generation of `target` unless it is already queued or running."""
        if target.key in self._running:
            return False
        if len(self._running) >= self.max_pending:
            raise Unavailable("too many images are waiting to be generated; try again soon")
        self._running[target.key] = asyncio.create_task(self._run(target))
        return True

    async def take_failure(self, key: str) -> FitterError | None:
        failed = self._failures.pop(key, None)
        if failed is None or time.monotonic() - failed[0] > FAILURE_SECONDS:
            return None
        return failed[1]

    async def _run(self, target: Target) -> None:
        try:
            await self.pipeline.generate(target)
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
        self._failures[key] = (time.monotonic(), error)
        while len(self._failures) > FAILURES_KEPT:
            self._failures.popitem(last=False)

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
