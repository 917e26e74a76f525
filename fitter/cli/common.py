"""What every command shares: the configuration option, reading it, reporting errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from fitter.checks import check_config
from fitter.config import Config, ConfigError, load_config
from fitter.config import unknown_variables as unknown_env
from fitter.dialects.native import parse
from fitter.dialects.rules import Rules
from fitter.errors import InvalidRequest
from fitter.plan import Plan

# Looked up when used (`common.err`), so a test may give the commands a console of its own.
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML file (default: ./fitter.yaml, else built-in)"),
]
JobsOption = Annotated[
    int | None, typer.Option("--jobs", "-j", min=1, help="images at once (default: cores)")
]


def say(line: str) -> None:
    """One line on stderr, never wrapped (a long path stays on one line) nor highlighted."""
    err.print(line, highlight=False, soft_wrap=True)


def read_config(path: Path | None, check: bool = True) -> Config:
    """The validated configuration, or every problem printed and exit status 1."""
    try:
        config = load_config(path)
        if check:
            check_config(config)
    except ConfigError as error:
        report(error)
    for name in unknown_env(os.environ):
        say(f"[yellow]warning[/yellow] {name} names no setting and is ignored")
    return config


def report(error: ConfigError) -> NoReturn:
    for problem in error.problems:
        say(f"[red]error[/red] {problem}")
    raise typer.Exit(1)


def fail(message: str, status: int = 1) -> NoReturn:
    say(f"[red]error[/red] {message}")
    raise typer.Exit(status)


def local_plan(config: Config, query: list[tuple[str, str]]) -> Plan:
    """The Plan the options mean, without the server's access policies (see `Rules.of`),
    or the API's problems and exit status 2. `path` is a placeholder: each file's own
    path replaces it."""
    rules = Rules.of(config.options, config.limits, policies=False)
    try:
        return parse([("path", "file"), *query], rules)
    except InvalidRequest as error:
        for problem in error.problems:
            say(f"[red]error[/red] {problem.message}")
        raise typer.Exit(2) from None


def jobs_or_cores(jobs: int | None) -> int:
    return jobs or os.cpu_count() or 1
