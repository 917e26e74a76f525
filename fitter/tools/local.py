"""What `fitter convert` and `fitter backup` share: the service over local files, and
running many images at once with a progress bar.

Local files are the source (each by its absolute path, below a source rooted at `/`),
and they go through the server's own service: the same limits, checked in the same
order, and the same engine. So a file converted here is byte-identical to what `/image`
answers for the same parameters. The tools render (`Service.render`) rather than look up
variants by key, and write what they render to the service's store under names of their
own: a folder's tree for `convert`, the bucket's `variants/` for `backup`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from fitter import engine
from fitter.cache import MemoryCache
from fitter.compose import assemble
from fitter.config import Config
from fitter.errors import FitterError
from fitter.plan import Plan
from fitter.service import Quiet, Service, Target
from fitter.storage import Store
from fitter.storage.fs import FsSource

MEDIA_TYPES = {"heic": "image/heif", "svg": "image/svg+xml"}
T = TypeVar("T")
R = TypeVar("R")


def local_service(config: Config, store: Store, jobs: int) -> Service:
    """The service over local files, keeping nothing in a cache, `jobs` images at once."""
    engine.setup(enable_svg=config.limits.svg)
    nothing = MemoryCache(max_entries=1, max_bytes=0, ttl=1)
    return assemble(config, FsSource("/"), store, nothing, Quiet(), threads=jobs, queue=False)


async def locate_file(service: Service, plan: Plan, path: Path) -> Target:
    """What `plan` gives for the file at `path`, checked against every limit from its
    header. No Accept header: `format=auto` picks jpeg or png, as for a client that
    names neither."""
    return await service.locate(replace(plan, path=str(path.resolve()).lstrip("/")))


def reason(error: Exception) -> str:
    """A failure as one line for the summary."""
    if isinstance(error, FitterError):
        return "; ".join(problem.message for problem in error.problems)
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return f"{type(error).__name__}: {error}"


def media_type(fmt: str) -> str:
    return MEDIA_TYPES.get(fmt, f"image/{fmt}")


class RateColumn(ProgressColumn):
    """Throughput: files a second and source megabytes a second."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text("")
        megabytes = task.fields.get("bytes", 0) / 1e6
        return Text(f"{task.completed / elapsed:.1f} files/s {megabytes / elapsed:.1f} MB/s")


async def run_all(
    items: Sequence[T],
    work: Callable[[T], Awaitable[tuple[R, int]]],
    jobs: int,
    console: Console,
    label: str,
) -> list[R]:
    """`work` on every item, `jobs` at a time, with a progress bar; `work` returns its
    result and the source bytes it read. Results keep the items' order."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeElapsedColumn(),
    )
    slots = asyncio.Semaphore(max(1, jobs))
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(label, total=len(items), bytes=0)
        read = 0

        async def one(item: T) -> R:
            nonlocal read
            async with slots:
                result, size = await work(item)
            read += size
            progress.update(task, advance=1, bytes=read)
            return result

        return list(await asyncio.gather(*(one(item) for item in items)))
