"""The double cache: cache store, then store storage, then the engine.

`locate` names the variant a Plan asks for (it reads the source's version and header,
never its pixels); `lookup` finds it in the cache store or the store; `generate` makes it
once however many requests ask at the same moment. Routes, the background executor and
the CLI all go through here.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread

from fitter import engine
from fitter.cache import CacheStore, Locks
from fitter.engine import geometry
from fitter.errors import NotAnImage, NotFound, OverLimits, TooLarge, Unavailable
from fitter.models import Original, SourceInfo, Variant
from fitter.plan import Output, Plan, resolve_output, variant_key
from fitter.storage import Source, SourceStat, Store

Layer = Literal["cache", "store", "miss"]
LOCK_POLL_SECONDS = 0.05
VARIANT_NAME = re.compile(r"([0-9a-f]{2}/){0,8}([\w.-]*-)?[0-9a-f]{32}\.(jpg|png|webp|avif|gif)")
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    prefix: str = ""
    shard: int = 0
    enable_hash: bool = True
    max_width: int = 8192
    max_height: int = 8192
    max_source_pixels: int = 100_000_000
    max_source_bytes: int = 64 * 1024 * 1024
    inline_bytes: int = 256 * 1024
    threads: int = 2
    lock_seconds: float = 30.0
    queue_seconds: float = 10.0
    processing_seconds: float = 30.0
    enable_svg: bool = False
    source_ttl: float = 1.0


@dataclass(frozen=True)
class Target:
    """A variant named but not yet looked for."""

    plan: Plan
    output: Output
    info: SourceInfo
    key: str
    name: str


@dataclass(frozen=True)
class Found:
    variant: Variant
    layer: Layer
    data: bytes | None = None


def as_miss(found: Found) -> Found:
    """A variant this request waited for: it was generated for it, so it counts as a miss."""
    return Found(found.variant, "miss", found.data)


class Pipeline:
    def __init__(
        self,
        source: Source,
        store: Store,
        cache: CacheStore,
        settings: Settings,
        locks: Locks | None = None,
    ):
        self.source = source
        self.store = store
        self.cache = cache
        self.settings = settings
        self.locks = locks
        self.engine_runs = 0
        # Images waiting for a slot in the pool, and holding one: the queue depth.
        self.waiting = 0
        self.working = 0
        # Called with the seconds of each engine run (metrics subscribe here).
        self.on_engine_run: Callable[[float], None] | None = None
        self._limiter = anyio.CapacityLimiter(settings.threads)
        self._flights: dict[str, asyncio.Future[Found]] = {}
        self._headers: OrderedDict[tuple[str, str], SourceInfo] = OrderedDict()
        self._stats: OrderedDict[str, tuple[float, SourceStat]] = OrderedDict()
        self._calls: dict[object, asyncio.Future[Any]] = {}

    async def run_blocking(self, function: Callable[..., T], *args: object) -> T:
        """Run image work in the bounded pool, off the event loop.

        A request that cannot get a slot within `queue_seconds` is answered 503 with
        Retry-After: under overload, latency stays bounded instead of growing."""
        self.waiting += 1
        try:
            with anyio.fail_after(self.settings.queue_seconds):
                await self._limiter.acquire()
        except TimeoutError:
            raise Unavailable("the server is busy; try again soon", retry_after=2) from None
        finally:
            self.waiting -= 1
        self.working += 1
        try:
            return await anyio.to_thread.run_sync(function, *args)
        finally:
            self.working -= 1
            self._limiter.release()

    async def info(self, path: str) -> SourceInfo:
        return await self._header(path, await self.stat(path))

    async def stat(self, path: str) -> SourceStat:
        """The source's version, trusted for `source_ttl` seconds: a cached answer then costs
        no call to the source (a file system call in a thread, or an S3 HEAD), and an
        original replaced in place is seen within that time."""
        now = time.monotonic()
        known = self._stats.get(path)
        if known is not None and known[0] > now:
            return known[1]
        stat = await self._shared(("stat", path), lambda: self.source.stat(path))
        if self.settings.source_ttl > 0:
            self._stats[path] = (now + self.settings.source_ttl, stat)
            self._stats.move_to_end(path)
            if len(self._stats) > 4096:
                self._stats.popitem(last=False)
        return stat

    async def _header(self, path: str, stat: SourceStat) -> SourceInfo:
        """The source's header, read once per version of the source."""
        key = (path, stat.version)
        info = self._headers.get(key)
        if info is not None:
            self._headers.move_to_end(key)
        else:
            info = await self._shared(("header", key), lambda: self._probe(path))
            self._headers[key] = info
            if len(self._headers) > 4096:
                self._headers.popitem(last=False)
        return info

    async def _probe(self, path: str) -> SourceInfo:
        original = await self.source.load(path)
        return await self.run_blocking(engine.probe, original, self.settings.enable_svg)

    async def _shared(self, key: object, make: Callable[[], Awaitable[T]]) -> T:
        """One call of `make` for every request that needs the same thing at the same moment:
        a burst for a new variant stats and probes its source once, not once per request."""
        running = self._calls.get(key)
        if running is None:
            running = asyncio.ensure_future(make())
            self._calls[key] = running
            running.add_done_callback(lambda done: self._settled(key, done))
        return await asyncio.shield(running)

    def _settled(self, key: object, done: asyncio.Future[Any]) -> None:
        self._calls.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved here, so a call nobody awaits any more stays quiet

    async def locate(self, plan: Plan, accept: str | None = None) -> Target:
        stat, info = await self._checked(plan.path)
        # Every size rule and limit is checked now, from the header, before any pixel.
        geometry.output_size(plan, info, (self.settings.max_width, self.settings.max_height))
        output = resolve_output(plan, info, accept)
        # A watermark's source is part of the variant too: a new one makes a new variant.
        versions = [stat.version]
        for path in plan.extra_paths():
            versions.append((await self._checked(path))[0].version)
        key = variant_key(plan, output, "+".join(versions))
        return Target(plan, output, info, key, self.name_for(key, plan.path, output))

    async def _checked(self, path: str) -> tuple[SourceStat, SourceInfo]:
        """A source's version and header, within the byte and pixel limits."""
        stat = await self.stat(path)
        if stat.size > self.settings.max_source_bytes:
            raise TooLarge(
                f"the source has {stat.size} bytes, over the limit of "
                f"{self.settings.max_source_bytes}",
                "path",
            )
        info = await self._header(path, stat)
        pixels = info.width * info.height * info.frames
        if pixels > self.settings.max_source_pixels:
            raise OverLimits(
                f"the source has {pixels} pixels, over the limit of "
                f"{self.settings.max_source_pixels}",
                "path",
            )
        return stat, info

    def is_variant_name(self, name: str) -> bool:
        """Whether `name` is one `name_for` could give: /store/ serves only those, never an
        original or anything else that shares the store's folder."""
        prefix = self.settings.prefix.strip("/")
        if prefix:
            if not name.startswith(prefix + "/"):
                return False
            name = name[len(prefix) + 1 :]
        return VARIANT_NAME.fullmatch(name) is not None

    def name_for(self, key: str, path: str, output: Output) -> str:
        """`<prefix>/<shard folders>/<key>.<ext>`: short folders spread a large store."""
        shards = [key[2 * i : 2 * i + 2] for i in range(self.settings.shard)]
        # The source's file name, made safe: one segment, no slash, no leading dot.
        readable = re.sub(r"[^\w.-]+", "_", path.rsplit("/", 1)[-1]).rsplit(".", 1)[0].lstrip(".")
        stem = key if self.settings.enable_hash else f"{readable}-{key}"
        parts = [self.settings.prefix.strip("/"), *shards, f"{stem}.{output.format.extension}"]
        return "/".join(p for p in parts if p)

    async def lookup(self, target: Target, with_data: bool = False) -> Found | None:
        """The variant from the cache store, else from the store, else None."""
        record = await self.cache.get("v:" + target.key)
        if record is not None:
            variant = Variant.model_validate_json(record)
            data = await self.cache.get("d:" + target.key) if with_data else None
            try:
                if with_data and data is None:
                    data = await self.store.read(target.name)
                elif not with_data and not await self.store.exists(target.name):
                    raise NotFound("no such stored image", "name")
            except NotFound:
                # The cache pointed at a missing object: forget it, never hand out a broken
                # URL, and let the caller make the variant again.
                await self.cache.delete("v:" + target.key)
                await self.cache.delete("d:" + target.key)
                return None
            return Found(variant, "cache", data)
        try:
            data = await self.store.read(target.name)
            header = await self.run_blocking(engine.probe, data)
        except (NotFound, NotAnImage):
            # Missing, or not a whole image (say, a disk that failed mid-write): make it again.
            return None
        variant = self._variant(target, header.width, header.height, len(data))
        await self._remember(variant, data)
        return Found(variant, "store", data if with_data else None)

    async def cached(self, target: Target) -> Found | None:
        """The variant if the cache store knows it (the store is read only then)."""
        if await self.cache.get("v:" + target.key) is None:
            return None
        return await self.lookup(target, with_data=True)

    async def get(self, plan: Plan, accept: str | None = None, with_data: bool = False) -> Found:
        target = await self.locate(plan, accept)
        return await self.lookup(target, with_data) or await self.generate(target)

    async def generate(self, target: Target) -> Found:
        """Make the variant, once for all the requests that ask for it at the same time."""
        flight = self._flights.get(target.key)
        if flight is not None:
            return as_miss(await asyncio.shield(flight))
        flight = asyncio.get_running_loop().create_future()
        self._flights[target.key] = flight
        try:
            found = await self._generate_locked(target)
        except BaseException as error:
            flight.set_exception(error)
            # Waiters get the error; mark it retrieved so an unwaited flight stays quiet.
            flight.exception()
            raise
        else:
            flight.set_result(found)
            return found
        finally:
            del self._flights[target.key]

    async def _generate_locked(self, target: Target) -> Found:
        """Across processes: the holder of the variant's lock generates, the others wait.

        Whoever gets to generate looks once more first: the variant may have been finished
        between its lookup and now, here or elsewhere. A waiter polls for the result and
        for the lock; a holder that crashed lets its lock expire, and the next waiter takes
        over. A holder keeps extending its lock while it works.
        """
        if self.locks is None:
            # In one process the cache store is where a just-finished variant shows first.
            return await self.cached(target) or await self._generate(target)
        name = "generate:" + target.key
        seconds = self.settings.lock_seconds
        deadline = time.monotonic() + 2 * seconds
        while True:
            token = await self.locks.acquire(name, seconds)
            if token is not None:
                keeper = asyncio.create_task(self._keep_lock(name, token))
                try:
                    found = await self.lookup(target, with_data=True)
                    return as_miss(found) if found else await self._generate(target)
                finally:
                    keeper.cancel()
                    await self.locks.release(name, token)
            await asyncio.sleep(LOCK_POLL_SECONDS)
            found = await self.lookup(target, with_data=True)
            if found is not None:
                return as_miss(found)
            if time.monotonic() > deadline:
                raise Unavailable("the image is still being generated elsewhere; try again")

    async def _keep_lock(self, name: str, token: str) -> None:
        assert self.locks is not None
        seconds = self.settings.lock_seconds
        while True:
            await asyncio.sleep(seconds / 3)
            await self.locks.extend(name, token, seconds)

    async def _generate(self, target: Target) -> Found:
        plan = target.plan
        original = await self.source.load(plan.path)
        extras = {path: await self.source.load(path) for path in plan.extra_paths()}
        limit = (self.settings.max_width, self.settings.max_height)
        self.engine_runs += 1
        rendered = await self.run_blocking(
            self._timed_render, plan, target.output, original, target.info, limit, extras
        )
        await self.store.save(target.name, rendered.data, target.output.format.media_type)
        variant = self._variant(target, rendered.width, rendered.height, len(rendered.data))
        await self._remember(variant, rendered.data)
        return Found(variant, "miss", rendered.data)

    def _timed_render(
        self,
        plan: Plan,
        output: Output,
        original: Original,
        info: SourceInfo,
        limit: tuple[int, int],
        extras: dict[str, Original],
    ) -> engine.Rendered:
        """`engine.render` in the worker thread, its seconds reported whatever the outcome
        (the wait for a slot is not engine time: it shows in `waiting`)."""
        started = time.perf_counter()
        try:
            return engine.render(
                plan, output, original, info, limit, self.settings.processing_seconds, extras
            )
        finally:
            if self.on_engine_run is not None:
                self.on_engine_run(time.perf_counter() - started)

    def _variant(self, target: Target, width: int, height: int, size: int) -> Variant:
        return Variant(
            key=target.key,
            name=target.name,
            format=target.output.format.value,
            width=width,
            height=height,
            bytes=size,
        )

    async def _remember(self, variant: Variant, data: bytes) -> None:
        # Bytes first: a record is never there without what it promises.
        if len(data) <= self.settings.inline_bytes:
            await self.cache.set("d:" + variant.key, data)
        await self.cache.set("v:" + variant.key, variant.model_dump_json().encode())
