"""The `fitter` command: serve, check a configuration, sign URLs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from fitter.checks import check_config
from fitter.config import CONFIG_FILE_VARIABLE, Config, ConfigError, load_config, masked
from fitter.config import unknown_variables as unknown_env
from fitter.signing import sign_url

app = typer.Typer(
    help="fitter: an on-demand image server.", no_args_is_help=True, add_completion=False
)
config_app = typer.Typer(help="Work with the configuration file.", no_args_is_help=True)
app.add_typer(config_app, name="config")

err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML file (default: ./fitter.yaml, else built-in)"),
]


def read_config(path: Path | None, check: bool = True) -> Config:
    """The validated configuration, or every problem printed and exit status 1."""
    try:
        config = load_config(path)
        if check:
            check_config(config)
    except ConfigError as error:
        report(error)
    for name in unknown_env(os.environ):
        err.print(f"[yellow]warning[/yellow] {name} names no setting and is ignored")
    return config


def report(error: ConfigError) -> NoReturn:
    for problem in error.problems:
        err.print(f"[red]error[/red] {problem}", highlight=False)
    raise typer.Exit(1)


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
    log_format: Annotated[str, typer.Option(help="json (one object a line) or text")] = "json",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Run the HTTP server."""
    import uvicorn

    from fitter.server.logs import configure_logging, logging_config

    # Before the app is built, so that what building it logs is formatted too; uvicorn
    # applies the same configuration again in each worker process it starts.
    json_logs = log_format == "json"
    log_config = logging_config(json=json_logs, level=log_level)
    configure_logging(json=json_logs, level=log_level)

    # One process builds its app here, which checks the configuration; several check it now.
    settings = read_config(config, check=workers > 1)
    host = host or settings.host
    port = settings.port if port is None else port
    if workers > 1:
        # Each process imports the app by name and reads the same file itself.
        if config is not None:
            os.environ[CONFIG_FILE_VARIABLE] = str(config.resolve())
        uvicorn.run(
            "fitter.server.app:create_app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_config=log_config,
        )
        return
    from fitter.server.app import create_app

    try:
        application = create_app(settings)
    except ConfigError as error:
        report(error)
    uvicorn.run(application, host=host, port=port, access_log=False, log_config=log_config)


@app.command()
def sign(
    url: Annotated[str, typer.Argument(help="absolute, or a path and query: /image?path=…")],
    config: ConfigOption = None,
) -> None:
    """Print URL with `sig=…` appended, signed with the first security.key."""
    keys = read_config(config).security.key
    if not keys:
        err.print("[red]error[/red] security.key: no key is configured to sign with")
        raise typer.Exit(1)
    typer.echo(sign_url(url, keys[0].get_secret_value()))


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the configuration and print it resolved, with secrets masked."""
    typer.echo(json.dumps(masked(read_config(config)), indent=2))


# The native URL parameters as options of `convert` and `backup`. All are read as text
# and checked by the native grammar, so a bad value gets the API's own message.
Text = str | None
ModeOption = Annotated[Text, typer.Option(help="thumbnail, resize, crop, flip or rotate")]
WidthOption = Annotated[Text, typer.Option("--width", "-w", help="pixels; 0 or absent: derived")]
HeightOption = Annotated[Text, typer.Option("--height", "-h", help="pixels; 0 or absent: derived")]
FitOption = Annotated[Text, typer.Option(help="cover, contain, fill, inside or outside")]
GravityOption = Annotated[Text, typer.Option(help="center, north, …, smart or entropy")]
FormatOption = Annotated[Text, typer.Option(help="jpg, png, webp, avif, gif or original")]
QualityOption = Annotated[Text, typer.Option(help="1 to 100")]
BackgroundOption = Annotated[Text, typer.Option(help="#rrggbb, #rrggbbaa or a CSS name")]
UpscaleOption = Annotated[bool | None, typer.Option("--upscale/--no-upscale")]
DirectionOption = Annotated[Text, typer.Option(help="flip: h, v or both")]
DegreeOption = Annotated[Text, typer.Option(help="rotate: degrees clockwise")]
PresetOption = Annotated[Text, typer.Option(help="a preset from the configuration")]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="images at once (default: cores)")
]


def local_plan(settings: Config, options: dict[str, str | bool | None]):
    """The Plan the options mean, or the API's problems and exit status 2."""
    from fitter.errors import InvalidRequest
    from fitter.local import parse_options, rules_for

    items = [
        (name, str(value).lower() if isinstance(value, bool) else value)
        for name, value in options.items()
    ]
    try:
        return parse_options(items, rules_for(settings))
    except InvalidRequest as error:
        for problem in error.problems:
            err.print(f"[red]error[/red] {problem.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def convert(
    inputs: Annotated[list[str], typer.Argument(help="files, folders and globs")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")],
    mode: ModeOption = None,
    width: WidthOption = None,
    height: HeightOption = None,
    fit: FitOption = None,
    gravity: GravityOption = None,
    format: FormatOption = None,
    quality: QualityOption = None,
    background: BackgroundOption = None,
    upscale: UpscaleOption = None,
    direction: DirectionOption = None,
    degree: DegreeOption = None,
    preset: PresetOption = None,
    config: ConfigOption = None,
    jobs: JobsOption = None,
    force: Annotated[bool, typer.Option(help="convert even if the output is newer")] = False,
) -> None:
    """Convert images into OUT with the server's parameters and engine (same bytes)."""
    from fitter import convert as converting
    from fitter import engine
    from fitter.local import Limits

    settings = read_config(config)
    options = dict(mode=mode, width=width, height=height, fit=fit, gravity=gravity)
    options |= dict(format=format, quality=quality, background=background, upscale=upscale)
    options |= dict(direction=direction, degree=degree, preset=preset)
    plan = local_plan(settings, options)
    engine.setup(enable_svg=settings.limits.svg)
    limits = Limits.from_config(settings)
    outcomes = converting.convert(
        inputs, out, plan, limits, jobs or os.cpu_count() or 1, force, err
    )
    Console().print(converting.summary(outcomes))
    failed = converting.failures(outcomes)
    for outcome in failed:
        err.print(
            f"[red]failed[/red] {outcome.source}: {outcome.reason}", highlight=False, soft_wrap=True
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def backup(
    source: Annotated[Path, typer.Argument(help="folder of images", exists=True, file_okay=False)],
    to: Annotated[str, typer.Option("--to", help="s3://bucket/prefix")],
    originals: Annotated[bool, typer.Option(help="upload the originals too")] = False,
    mode: ModeOption = None,
    width: WidthOption = None,
    height: HeightOption = None,
    fit: FitOption = None,
    gravity: GravityOption = None,
    format: FormatOption = None,
    quality: QualityOption = None,
    background: BackgroundOption = None,
    upscale: UpscaleOption = None,
    direction: DirectionOption = None,
    degree: DegreeOption = None,
    preset: PresetOption = None,
    config: ConfigOption = None,
    jobs: JobsOption = None,
) -> None:
    """Upload a folder's images to S3 as variants (and originals); resumable."""
    from fitter import backup as backing_up
    from fitter import engine
    from fitter.errors import FitterError
    from fitter.local import Limits, reason

    settings = read_config(config)
    try:
        bucket_name, prefix = backing_up.parse_target(to)
    except backing_up.TargetError as error:
        err.print(f"[red]error[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    options = dict(mode=mode, width=width, height=height, fit=fit, gravity=gravity)
    options |= dict(format=format, quality=quality, background=background, upscale=upscale)
    options |= dict(direction=direction, degree=degree, preset=preset)
    plan = local_plan(settings, options)
    try:
        bucket = backing_up.open_bucket(backing_up.s3_section(settings, bucket_name, prefix))
    except FitterError as error:
        err.print(f"[red]error[/red] {reason(error)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    engine.setup(enable_svg=settings.limits.svg)
    limits = Limits.from_config(settings)
    outcomes = backing_up.backup(
        str(source), bucket, plan, limits, originals, jobs or os.cpu_count() or 1, err
    )
    Console().print(backing_up.summary(outcomes))
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        err.print(
            f"[red]failed[/red] {outcome.key}: {outcome.reason}", highlight=False, soft_wrap=True
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def worker(
    config: ConfigOption = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="tasks at once (default: one per core)")
    ] = None,
    pool: Annotated[str, typer.Option(help="threads (default), solo or prefork")] = "threads",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
) -> None:
    """Run a Celery worker that generates what /show and `fitter warm` queue."""
    from fitter.worker import POOLS, run_worker

    settings = read_config(config)
    if settings.tasks.broker_url is None:
        err.print("[red]error[/red] tasks.broker_url: a worker needs a broker (redis://…)")
        raise typer.Exit(1)
    if pool not in POOLS:
        err.print(f"[red]error[/red] --pool: must be one of {', '.join(POOLS)}")
        raise typer.Exit(2)
    run_worker(settings, concurrency or os.cpu_count() or 1, pool, log_level)


@app.command()
def warm(
    paths: Annotated[list[str] | None, typer.Argument(help="source paths")] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="one source path or query string (path=…&width=…) a line"),
    ] = None,
    local: Annotated[bool, typer.Option(help="generate here instead of queueing")] = False,
    mode: ModeOption = None,
    width: WidthOption = None,
    height: HeightOption = None,
    fit: FitOption = None,
    gravity: GravityOption = None,
    format: FormatOption = None,
    quality: QualityOption = None,
    background: BackgroundOption = None,
    upscale: UpscaleOption = None,
    direction: DirectionOption = None,
    degree: DegreeOption = None,
    preset: PresetOption = None,
    config: ConfigOption = None,
) -> None:
    """Queue (or with --local, generate) many variants; what exists is skipped."""
    import asyncio

    from rich.progress import Progress

    from fitter import warm as warming

    settings = read_config(config)
    if not local and settings.tasks.broker_url is None:
        err.print("[red]error[/red] tasks.broker_url is not set: queue nowhere; use --local")
        raise typer.Exit(1)
    options = dict(mode=mode, width=width, height=height, fit=fit, gravity=gravity)
    options |= dict(format=format, quality=quality, background=background, upscale=upscale)
    options |= dict(direction=direction, degree=degree, preset=preset)
    query = [
        (name, str(value).lower() if isinstance(value, bool) else value)
        for name, value in options.items()
        if value is not None
    ]
    lines = from_file.read_text().splitlines() if from_file is not None else []
    items = warming.queries(paths or [], lines, query)
    if not items:
        err.print("[red]error[/red] nothing to warm: give PATHS or --from-file")
        raise typer.Exit(2)

    async def run() -> warming.Summary:
        from fitter.server.services import build_services

        services = build_services(settings)
        try:
            with Progress(console=err, transient=True) as progress:
                bar = progress.add_task("warming", total=len(items))
                return await warming.warm(services, items, local, lambda: progress.advance(bar))
        finally:
            await services.close()

    summary = asyncio.run(run())
    for label, reason in summary.failures:
        err.print(f"[red]failed[/red] {label}: {reason}", highlight=False, soft_wrap=True)
    typer.echo(summary.line())
    if summary.failed:
        raise typer.Exit(1)


def main() -> None:
    app()
