"""The `fitter` command: serve, and check a configuration."""

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
) -> None:
    """Run the HTTP server."""
    import uvicorn

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
        )
        return
    from fitter.server.app import create_app

    try:
        application = create_app(settings)
    except ConfigError as error:
        report(error)
    uvicorn.run(application, host=host, port=port)


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the configuration and print it resolved, with secrets masked."""
    typer.echo(json.dumps(masked(read_config(config)), indent=2))


def main() -> None:
    app()
