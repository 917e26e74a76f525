"""`fitter convert`: files, folders and globs into variants in an output folder.

Each output is written to a temporary name beside it and renamed into place, so an
interrupted run never leaves a partial file that a later run would take as up to date.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table

from fitter.local import Input, Limits, find_inputs, prepare, reason, render, run_all
from fitter.plan import Plan

Status = Literal["converted", "skipped", "failed"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Outputs get the usual permissions (mkstemp's scratch files are private to their owner).
FILE_MODE = 0o666 & ~_umask()


@dataclass(frozen=True)
class Outcome:
    source: str
    status: Status
    reason: str = ""
    bytes_in: int = 0
    bytes_out: int = 0


class Converter:
    """Converts one input at a time; safe to call from many threads."""

    def __init__(self, outdir: Path, plan: Plan, limits: Limits, force: bool) -> None:
        self.outdir = outdir
        self.plan = plan
        self.limits = limits
        self.force = force
        # Output file → the input writing it: `a.png` and `a.jpg` both giving `a.jpg` is a
        # failure of the second, never a silent overwrite.
        self._claimed: dict[Path, Path] = {}
        self._lock = threading.Lock()

    def __call__(self, item: Input) -> tuple[Outcome, int]:
        try:
            return self._convert(item)
        except Exception as error:  # one bad file never stops the rest
            return Outcome(str(item.path), "failed", reason(error)), 0

    def _convert(self, item: Input) -> tuple[Outcome, int]:
        source = str(item.path)
        prepared = prepare(item.path, self.plan, self.limits, item.relative.as_posix())
        target = self.outdir / prepared.output_name(item.relative)
        with self._lock:
            other = self._claimed.setdefault(target, item.path)
        if other != item.path:
            return Outcome(source, "failed", f"{other} writes the same output {target}"), 0
        size = item.path.stat().st_size
        if not self.force and is_newer(target, item.path):
            return Outcome(source, "skipped"), 0
        data = render(prepared, self.limits)
        write_atomically(target, data)
        return Outcome(source, "converted", bytes_in=size, bytes_out=len(data)), size


def is_newer(target: Path, source: Path) -> bool:
    try:
        return target.stat().st_mtime_ns > source.stat().st_mtime_ns
    except FileNotFoundError:
        return False


def write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(scratch, target)
    except BaseException:
        os.unlink(scratch)
        raise


def convert(
    arguments: list[str],
    outdir: Path,
    plan: Plan,
    limits: Limits,
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
    converter = Converter(outdir, plan, limits, force)
    return outcomes + run_all(inputs, converter, jobs, console, "converting")


def summary(outcomes: list[Outcome]) -> Table:
    table = Table(title="fitter convert")
    table.add_column("result")
    table.add_column("count", justify="right")
    for status in ("converted", "skipped", "failed"):
        table.add_row(status, str(sum(o.status == status for o in outcomes)))
    table.add_row("bytes in", str(sum(o.bytes_in for o in outcomes)))
    table.add_row("bytes out", str(sum(o.bytes_out for o in outcomes)))
    return table


def failures(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status == "failed"]
