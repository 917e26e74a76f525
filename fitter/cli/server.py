"""The server's commands: `serve`, `worker`, `sign` and `config check`."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from fitter.cli.common import ConfigOption, fail, jobs_or_cores, read_config, report
from fitter.config import CONFIG_FILE_VARIABLE, ConfigError, masked
from fitter.signing import sign_url

config_app = typer.Typer(help="Work with the configuration file.", no_args_is_help=True)


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


def sign(
    url: Annotated[str, typer.Argument(help="absolute, or a path and query: /image?path=…")],
    config: ConfigOption = None,
) -> None:
    """Print URL with `sig=…` appended, signed with the first security.key."""
    keys = read_config(config).security.key
    if not keys:
        fail("security.key: no key is configured to sign with")
    typer.echo(sign_url(url, keys[0].get_secret_value()))


@config_app.command("check")
def config_check(config: ConfigOption = None) -> None:
    """Validate the configuration and print it resolved, with secrets masked."""
    typer.echo(json.dumps(masked(read_config(config)), indent=2))


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
        fail("tasks.broker_url: a worker needs a broker (redis://…)")
    if pool not in POOLS:
        fail(f"--pool: must be one of {', '.join(POOLS)}", 2)
    run_worker(settings, jobs_or_cores(concurrency), pool, log_level)
