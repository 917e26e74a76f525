"""Generation outside the request: what `/show` hands its work to.

The in-process executor runs each variant once on the server's own event loop and pool;
it remembers a failure until the next `/show` for that variant reports it, so a later
`/show` tries again.
"""

from __future__ import annotations

import asyncio
import logging

from fitter.errors import FitterError
from fitter.pipeline import Pipeline, Target

log = logging.getLogger(__name__)


class InProcessExecutor:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._running: dict[str, asyncio.Task[None]] = {}
        self._failures: dict[str, FitterError] = {}

    def submit(self, target: Target) -> None:
        """Queue generation of `target` unless it is already queued or running."""
        if target.key not in self._running:
            self._running[target.key] = asyncio.create_task(self._run(target))

    def pending(self, key: str) -> bool:
        return key in self._running

    def take_failure(self, key: str) -> FitterError | None:
        return self._failures.pop(key, None)

    async def _run(self, target: Target) -> None:
        try:
            await self.pipeline.generate(target)
        except FitterError as error:
            self._failures[target.key] = error
        except Exception:
            log.exception("background generation of %s failed", target.name)
            self._failures[target.key] = FitterError("the image could not be generated")
        finally:
            del self._running[target.key]

    async def close(self) -> None:
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
