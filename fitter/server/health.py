"""`GET /health/ready`: whether this server can answer now, checked end to end.

Each configured backend and libvips is exercised the way a request uses it, not asked whether
it thinks it is up (a Redis cache store says `available` until its first failure):

- cache: a value set under a key of its own, with a short expiry, and read back;
- store: a tiny object saved (atomically, always the same bytes) under `.fitter-health`, read back;
- source: the stat of a path that does not exist must answer NotFound;
- libvips: a 1x1 PNG decoded, resized and encoded in the image pool.

The checks run at once, each bounded by `CHECK_SECONDS`, so readiness never hangs. A check
still running when the next probe comes is joined, not started again, so a backend that hangs
cannot pile up threads. Failures are named by public messages only: no paths, no secrets.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from fitter import engine, geometry
from fitter.compose import Services
from fitter.errors import FitterError, NotFound
from fitter.flight import SingleFlight
from fitter.plan import ImageFormat, Output, Plan

router = APIRouter()

CHECK_SECONDS = 2.0
RETRY_AFTER = 5
HEALTH_NAME = ".fitter-health"
HEALTH_BYTES = b"fitter health check\n"
ABSENT_SOURCE = ".fitter-health-absent"
CACHE_TTL = 10
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAADElEQVQI12M4U"
    "aEBAAN0AWka2c+IAAAAAElFTkSuQmCC"
)

Check = Callable[[], Coroutine[Any, Any, None]]


class Failed(Exception):
    """A check's public reason."""


class Readiness:
    """The checks of one application, and the ones still running."""

    def __init__(self, services: Services, seconds: float = CHECK_SECONDS) -> None:
        self.services = services
        self.seconds = seconds
        self._running: SingleFlight[str, None] = SingleFlight()

    def checks(self) -> dict[str, Check]:
        return {
            "cache": self.check_cache,
            "store": self.check_store,
            "source": self.check_source,
            "libvips": self.check_libvips,
        }

    async def run(self) -> dict[str, str]:
        names = list(self.checks())
        results = await asyncio.gather(*(self.outcome(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def outcome(self, name: str) -> str:
        try:
            # A check still running from an earlier probe is joined, never started again.
            await asyncio.wait_for(self._running.run(name, self.checks()[name]), self.seconds)
        except TimeoutError:
            return f"unavailable: no answer in {self.seconds:g} s"
        except (Failed, FitterError) as error:
            # FitterError messages are public by contract: they never hold paths or secrets.
            return f"unavailable: {error}"
        except Exception as error:
            # Other exceptions may name files or addresses: only their kind is told.
            return f"unavailable: {type(error).__name__}"
        return "ok"

    async def check_cache(self) -> None:
        cache = self.services.service.cache
        key = f"health:{uuid.uuid4().hex}"
        value = uuid.uuid4().hex.encode()
        failures = cache.failures
        await cache.set(key, value, CACHE_TTL)
        if await cache.get(key) == value:
            return
        # The cache store never raises: an outage shows in its counters. A store that was
        # reached but kept nothing is sized to (max_bytes: 0), which is no outage.
        if cache.failures > failures or not cache.available:
            raise Failed("the cache store cannot be reached")

    async def check_store(self) -> None:
        store = self.services.service.store
        await store.save(HEALTH_NAME, HEALTH_BYTES, "text/plain")
        if await store.read(HEALTH_NAME) != HEALTH_BYTES:
            raise Failed("an object saved could not be read back")

    async def check_source(self) -> None:
        try:
            await self.services.source.stat(ABSENT_SOURCE)
        except NotFound:
            return
        # It exists after all: the source answered, which is what is asked of it.

    async def check_libvips(self) -> None:
        rendered = await self.services.service.pool.run(render_tiny)
        if (rendered.width, rendered.height) != (1, 1):
            raise Failed("a 1x1 image did not render as 1x1")


def render_tiny() -> engine.Rendered:
    """Decode, resize and encode a 1x1 PNG: libvips and its loaders and savers work."""
    info = engine.probe(TINY_PNG, len(TINY_PNG))
    plan = Plan(path=ABSENT_SOURCE, width=1, height=1)
    layout = geometry.layout(plan, (1, 1), (1, 1))
    output = Output(ImageFormat.JPEG, 80)
    return engine.render(engine.Job(plan, output, info, TINY_PNG, layout, (1, 1)))


@router.api_route("/health/ready", methods=["GET", "HEAD"])
async def ready(request: Request) -> JSONResponse:
    """200 when every check passes; else 503 with Retry-After, naming the failing checks."""
    readiness: Readiness = request.app.state.readiness
    checks = await readiness.run()
    if all(result == "ok" for result in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    return JSONResponse(
        {"status": "unavailable", "checks": checks},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER)},
    )
