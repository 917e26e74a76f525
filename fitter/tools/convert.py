"""`fitter convert`: files, folders and globs into variants in an output folder.

Each image goes through the server's service (`tools.local`) and is written by a folder
store: to a hidden temporary name beside its output, then renamed into place, so an
interrupted run never leaves a partial file that a later run would take as up to date.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from rich.console import Console
from rich.table import Table

from fitter.config import Config
from fitter.plan import Plan
from fitter.service import Service
from fitter.storage.fs import FsStore
from fitter.tools.files import Input, find_inputs
from fitter.tools.local import local_service, locate_file, reason, run_all

Status = Literal["converted", "skipped", "failed"]


@dataclass(frozen=True)
class Outcome:
    source: str
    status: Status
    reason: str = ""
    bytes_in: int = 0
    bytes_out: int = 0


class Converter:
    """Converts one input at a time; many may run at once on one event loop."""

    def __init__(self, service: Service, store: FsStore, plan: Plan, force: bool) -> None:
        self.service = service
        self.store = store
        self.plan = plan
        self.force = force
        # Output file → the input writing it: `a.png` and `a.jpg` both giving `a.jpg` is a
        # failure of the second, never a silent overwrite.
        self._claimed: dict[PurePosixPath, Path] = {}

    async def __call__(self, item: Input) -> tuple[Outcome, int]:
        try:
            return await self._convert(item)
        except Exception as error:  # one bad file never stops the rest
            return Outcome(str(item.path), "failed", reason(error)), 0

    async def _convert(self, item: Input) -> tuple[Outcome, int]:
        source = str(item.path)
        size = item.path.stat().st_size
        target = await locate_file(self.service, self.plan, item.path)
        name = item.relative.with_suffix("." + target.output.format.extension)
        other = self._claimed.setdefault(name, item.path)
        if other != item.path:
            written = self.store.root / name
            return Outcome(source, "failed", f"{other} writes the same output {written}"), 0
        if not self.force and is_newer(self.store.root / name, item.path):
            return Outcome(source, "skipped"), 0
        rendered = await self.service.render(target)
        # The service's own store: `local_service` was given this folder store.
        await self.store.save(name.as_posix(), rendered.data, target.output.format.media_type)
        return Outcome(source, "converted", bytes_in=size, bytes_out=len(rendered.data)), size


def is_newer(target: Path, source: Path) -> bool:
    try:
        return target.stat().st_mtime_ns > source.stat().st_mtime_ns
    except FileNotFoundError:
        return False


def convert(
    config: Config,
    arguments: list[str],
    outdir: Path,
    plan: Plan,
    jobs: int,
    force: bool,
    console: Console,
) -> list[Outcome]:
    """Every input converted (or skipped, or failed with its reason), in the inputs' order."""
    inputs, missing = find_inputs(arguments)
    # An output folder inside an input folder: its outputs are never inputs of a later run.
    inside = outdir.resolve()
    inputs = [i for i in inputs if not i.path.parent.resolve().is_relative_to(inside)]
    outcomes = [Outcome(name, "failed", why) for name, why in missing]

    async def run() -> list[Outcome]:
        store = FsStore(outdir, scratch=False)
        service = local_service(config, store, jobs)
        try:
            converter = Converter(service, store, plan, force)
            return await run_all(inputs, converter, jobs, console, "converting")
        finally:
            await service.close()

    return outcomes + asyncio.run(run())


def summary(outcomes: list[Outcome]) -> Table:
    table = Table(title="fitter convert")
    table.add_column("result")
    table.add_column("count", justify="right")
    for status in ("converted", "skipped", "failed"):
        table.add_row(status, str(sum(o.status == status for o in outcomes)))
    table.add_row("bytes in", str(sum(o.bytes_in for o in outcomes)))
    table.add_row("bytes out", str(sum(o.bytes_out for o in outcomes)))
    return table
