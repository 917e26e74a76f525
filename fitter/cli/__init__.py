"""The `fitter` command: `serve`, `worker`, `sign` and `config check` (`server`), and
`convert`, `backup` and `warm` (`tools`), with the transformation options declared once
(`transform`)."""

from __future__ import annotations

import typer

from fitter.cli import server, tools

app = typer.Typer(
    help="fitter: an on-demand image server.", no_args_is_help=True, add_completion=False
)
app.command()(server.serve)
app.command()(server.sign)
app.add_typer(server.config_app, name="config")
app.command()(tools.convert)
app.command()(tools.backup)
app.command()(server.worker)
app.command()(tools.warm)


def main() -> None:
    app()
