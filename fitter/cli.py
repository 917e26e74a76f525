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


def main() -> None:
    app()
