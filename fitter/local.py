"""What `fitter convert` and `fitter backup` share: options to a Plan, finding the images,
making one variant with the server's engine code, and running many on a thread pool.

A local conversion goes through the same steps as the server's pipeline (`Pipeline.locate`
then `_generate`): the source's size, its header, the pixel limit, every size rule, the
output format, then `engine.render` with the same limit and processing seconds. So a file
converted here is byte-identical to what `/image` answers for the same parameters.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
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
from fitter.config import Config
from fitter.dialects import native
from fitter.engine import geometry
from fitter.errors import FitterError, OverLimits, TooLarge
from fitter.models import SourceInfo
from fitter.plan import Output, Plan, resolve_output

# What a folder walk picks up; a file named on the command line is always tried.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}
)
MEDIA_TYPES = {"heic": "image/heif", "svg": "image/svg+xml"}
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Limits:
    """The server's limits, from the same configuration keys."""

    max_width: int = 8192
    max_height: int = 8192
    max_source_pixels: int = 100_000_000
    max_source_bytes: int = 64 * 1024 * 1024
    processing_seconds: float = 30.0
    enable_svg: bool = False

    @classmethod
    def from_config(cls, config: Config) -> Limits:
        limits = config.limits
        return cls(
            max_width=limits.max_width,
            max_height=limits.max_height,
            max_source_pixels=limits.max_source_pixels,
            max_source_bytes=limits.max_source_bytes,
            processing_seconds=limits.timeouts.processing,
            enable_svg=limits.svg,
        )

    @property
    def box(self) -> tuple[int, int]:
        return (self.max_width, self.max_height)


def rules_for(config: Config) -> native.Rules:
    """The server's grammar rules, without its access policies (`allowed_sizes`,
    `allowed_formats`, `presets_only`): those keep strangers from making a server generate
    arbitrary variants; a person converting their own files on their own machine is not one."""
    options, limits = config.options, config.limits
    return native.Rules(
        default_format=options.default_format,
        max_width=limits.max_width,
        max_height=limits.max_height,
        presets=options.presets,
    )


def parse_options(options: Iterable[tuple[str, str | None]], rules: native.Rules) -> Plan:
    """The Plan the native URL parameters `options` give (None: not given), or
    InvalidRequest with the API's problems. `path` is only the plan's label here: each
    file's own relative path replaces it (`for_file`)."""
    items = [("path", "file")] + [(name, value) for name, value in options if value is not None]
    return native.parse(items, rules)


@dataclass(frozen=True)
class Input:
    """One file to work on, and where it sits relative to what was named (its output's
    place under the output folder or prefix)."""

    path: Path
    relative: PurePosixPath


def find_inputs(arguments: Sequence[str]) -> tuple[list[Input], list[tuple[str, str]]]:
    """Files, folders (walked, keeping the tree) and globs; and the arguments that named
    nothing, with why."""
    found: list[Input] = []
    missing: list[tuple[str, str]] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(walk(path))
        elif path.exists() or path.is_symlink():
            found.append(Input(path, PurePosixPath(path.name)))
        elif any(c in argument for c in "*?["):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                missing.append((argument, "the pattern matches no file"))
            for match in map(Path, matches):
                found.extend(
                    walk(match) if match.is_dir() else [Input(match, PurePosixPath(match.name))]
                )
        else:
            missing.append((argument, "no such file or folder"))
    return found, missing


def walk(root: Path) -> list[Input]:
    """Every image file below `root` by its name, in a stable order; hidden files and
    folders (`.DS_Store`, `._photo.jpg`, `.git`) are left out."""
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            path = Path(folder) / name
            found.append(Input(path, PurePosixPath(path.relative_to(root).as_posix())))
    return found


@dataclass(frozen=True)
class Prepared:
    """A source whose header is read and checked, and the variant it will give."""

    path: Path
    plan: Plan
    info: SourceInfo
    output: Output

    def output_name(self, relative: PurePosixPath) -> PurePosixPath:
        return relative.with_suffix("." + self.output.format.extension)


def prepare(path: Path, plan: Plan, limits: Limits, label: str) -> Prepared:
    """What `Pipeline.locate` checks, in its order, from the header alone (no pixels).
    Raises FitterError (or OSError for a file that cannot be read)."""
    size = path.stat().st_size
    if size > limits.max_source_bytes:
        raise TooLarge(
            f"the source has {size} bytes, over the limit of {limits.max_source_bytes}", "path"
        )
    info = engine.probe(path, limits.enable_svg)
    pixels = info.width * info.height * info.frames
    if pixels > limits.max_source_pixels:
        raise OverLimits(
            f"the source has {pixels} pixels, over the limit of {limits.max_source_pixels}",
            "path",
        )
    plan = replace(plan, path=label)
    geometry.output_size(plan, info, limits.box)
    # No Accept header: `format=auto` picks jpeg or png, as for a client that names neither.
    return Prepared(path, plan, info, resolve_output(plan, info, None))


def render(prepared: Prepared, limits: Limits) -> bytes:
    """The variant's bytes, as `Pipeline._generate` makes them."""
    p = prepared
    return engine.render(
        p.plan, p.output, p.path, p.info, limits.box, limits.processing_seconds
    ).data


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


def run_all(
    items: Sequence[T],
    work: Callable[[T], tuple[R, int]],
    jobs: int,
    console: Console,
    label: str,
) -> list[R]:
    """`work` on every item in `jobs` threads (libvips and boto3 release the GIL), with a
    progress bar; `work` returns its result and the source bytes it read. Results keep the
    items' order. A thread pool, never processes: forking after libvips has started its
    own threads deadlocks."""
    results: list[R | None] = [None] * len(items)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeElapsedColumn(),
    )
    with (
        Progress(*columns, console=console) as progress,
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
    ):
        task = progress.add_task(label, total=len(items), bytes=0)
        futures = {pool.submit(work, item): index for index, item in enumerate(items)}
        read = 0
        for future in as_completed(futures):
            result, size = future.result()
            results[futures[future]] = result
            read += size
            progress.update(task, advance=1, bytes=read)
    return [r for r in results if r is not None]
