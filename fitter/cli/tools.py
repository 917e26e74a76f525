"""The commands that work through many images: `convert`, `backup` and `warm`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fitter.cli import common
from fitter.cli.common import (
    ConfigOption,
    JobsOption,
    fail,
    jobs_or_cores,
    local_plan,
    read_config,
)
from fitter.cli.transform import Query, transformation


@transformation
def convert(
    inputs: Annotated[list[str], typer.Argument(help="files, folders and globs")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")],
    config: ConfigOption = None,
    jobs: JobsOption = None,
    force: Annotated[bool, typer.Option(help="convert even if the output is newer")] = False,
    query: Query | None = None,
) -> None:
    """Convert images into OUT with the server's parameters and engine (same bytes)."""
    from fitter.tools import convert as converting

    settings = read_config(config)
    plan = local_plan(settings, query or [])
    jobs = jobs_or_cores(jobs)
    outcomes = converting.convert(settings, inputs, out, plan, jobs, force, common.err)
    Console().print(converting.summary(outcomes))
    conclude([(o.source, o.reason) for o in outcomes if o.status == "failed"])


@transformation
def backup(
    source: Annotated[Path, typer.Argument(help="folder of images", exists=True, file_okay=False)],
    to: Annotated[str, typer.Option("--to", help="s3://bucket/prefix")],
    originals: Annotated[bool, typer.Option(help="upload the originals too")] = False,
    config: ConfigOption = None,
    jobs: JobsOption = None,
    query: Query | None = None,
) -> None:
    """Upload a folder's images to S3 as variants (and originals); resumable."""
    from fitter.errors import FitterError
    from fitter.tools import backup as backing_up
    from fitter.tools.local import reason

    settings = read_config(config)
    try:
        bucket_name, prefix = backing_up.parse_target(to)
    except backing_up.TargetError as error:
        fail(str(error), 2)
    plan = local_plan(settings, query or [])
    try:
        bucket = backing_up.open_bucket(backing_up.s3_section(settings, bucket_name, prefix))
    except FitterError as error:
        fail(reason(error))
    outcomes = backing_up.backup(
        settings, str(source), bucket, plan, originals, jobs_or_cores(jobs), common.err
    )
    Console().print(backing_up.summary(outcomes))
    conclude([(o.key, o.reason) for o in outcomes if o.status == "failed"])


@transformation
def warm(
    paths: Annotated[list[str] | None, typer.Argument(help="source paths")] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="one source path or query string (path=…&width=…) a line"),
    ] = None,
    local: Annotated[bool, typer.Option(help="generate here instead of queueing")] = False,
    config: ConfigOption = None,
    query: Query | None = None,
) -> None:
    """Queue (or with --local, generate) many variants; what exists is skipped."""
    import asyncio

    from rich.progress import Progress

    from fitter.compose import build_services
    from fitter.tools import warm as warming

    settings = read_config(config)
    if not local and settings.tasks.broker_url is None:
        fail("tasks.broker_url is not set: queue nowhere; use --local")
    lines = from_file.read_text().splitlines() if from_file is not None else []
    items = warming.queries(paths or [], lines, query or [])
    if not items:
        fail("nothing to warm: give PATHS or --from-file", 2)

    async def run() -> warming.Summary:
        services = build_services(settings)
        try:
            with Progress(console=common.err, transient=True) as progress:
                bar = progress.add_task("warming", total=len(items))
                return await warming.warm(services, items, local, lambda: progress.advance(bar))
        finally:
            await services.close()

    summary = asyncio.run(run())
    typer.echo(summary.line())
    conclude(summary.failures)


def conclude(failures: list[tuple[str, str]]) -> None:
    """Each failure on stderr with its reason; exit status 1 if there was any."""
    for label, reason in failures:
        common.say(f"[red]failed[/red] {label}: {reason}")
    if failures:
        raise typer.Exit(1)
