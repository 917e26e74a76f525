"""The service: the one way from a Plan to an answer, for every entry point.

    locate   the source's version and header, the limits, every size, the output, the key
    ensure   the variant from the cache store, else the store, else generated (once);
             `ready` locates and ensures in one call
    show     the variant if it exists, else queued for the executor (`find`, `queue`)
    render   the engine alone, for the local tools that write their own files

The routes of every dialect, the Celery worker, `fitter warm`, `fitter convert` and
`fitter backup` call these, so a limit or a speed-up is written once: here, or in one of
the parts the service is made of (see the package's docstring). Built by `fitter.compose`.
"""

from __future__ import annotations

from fitter import engine, geometry
from fitter.cache import CacheStore
from fitter.models import SourceInfo
from fitter.plan import Plan, resolve_output, variant_key
from fitter.service.events import Events
from fitter.service.executor import Executor
from fitter.service.generation import Generator
from fitter.service.naming import Naming
from fitter.service.originals import Originals
from fitter.service.pool import ImagePool
from fitter.service.target import Found, Pending, Target
from fitter.service.variants import Variants
from fitter.storage import Store


class Service:
    def __init__(
        self,
        originals: Originals,
        variants: Variants,
        generator: Generator,
        naming: Naming,
        executor: Executor,
        events: Events,
        limit: geometry.Size,
    ) -> None:
        self.originals = originals
        self.variants = variants
        self.generator = generator
        self.naming = naming
        self.executor = executor
        self.events = events
        self.limit = limit

    @property
    def pool(self) -> ImagePool:
        return self.generator.pool

    @property
    def store(self) -> Store:
        return self.variants.store

    @property
    def cache(self) -> CacheStore:
        return self.variants.cache

    async def locate(self, plan: Plan, accept: str | None = None) -> Target:
        """Name the variant `plan` asks for, from the headers alone: every limit and size
        rule is checked here, before any pixel is decoded."""
        source = await self.originals.checked(plan.path)
        info = source.info
        layout = geometry.layout(plan, (info.width, info.height), self.limit)
        output = resolve_output(plan, info, accept)
        # A watermark's source is part of the variant too: a new one makes a new variant.
        extras = tuple([await self.originals.checked(path) for path in plan.extra_paths()])
        versions = "+".join([source.stat.version, *(e.stat.version for e in extras)])
        key = variant_key(plan, output, versions)
        name = self.naming.name(key, plan.path, output.format)
        return Target(plan, output, source, layout, key, name, extras)

    async def ensure(self, target: Target, *, with_data: bool = True) -> Found:
        """The variant (its bytes too with `with_data`), made if it does not exist yet."""
        found = await self.variants.cached(target, with_data) or await self.generator.make(target)
        self.events.answered(found.layer)
        return found

    async def ready(self, plan: Plan, accept: str | None = None) -> Found:
        """What `plan` names, located and ensured, without its bytes (to describe it or
        redirect to it)."""
        return await self.ensure(await self.locate(plan, accept), with_data=False)

    async def find(self, target: Target) -> Found | None:
        """The variant if it exists (without its bytes); never generates."""
        return await self.variants.cached(target, False) or await self.variants.stored(target)

    async def queue(self, target: Target) -> Pending:
        """Generation of the variant handed to the executor (unless already queued)."""
        return Pending(target, await self.executor.submit(target.for_later()))

    async def show(self, target: Target) -> Found | Pending:
        """The variant if it exists; else its generation queued (or the failure of the
        last one, raised once, so that the next `show` tries again)."""
        found = await self.find(target)
        if found is not None:
            self.events.answered(found.layer)
            return found
        failure = await self.executor.take_failure(target.key)
        if failure is not None:
            raise failure
        pending = await self.queue(target)
        self.events.answered("miss")
        return pending

    async def info(self, path: str) -> SourceInfo:
        """The header of the original at `path` (within `max_source_bytes`)."""
        return (await self.originals.opened(path)).info

    async def render(self, target: Target) -> engine.Rendered:
        """The variant's bytes from the engine, neither looked up nor kept."""
        return await self.generator.render(target)

    async def url(self, name: str) -> str | None:
        """The store's public address of a variant, or None when fitter serves it."""
        return await self.store.url(name)

    async def close(self) -> None:
        await self.executor.close()
        await self.generator.close()
