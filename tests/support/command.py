"""The `fitter` command run in this process, and reading its summary tables."""

from __future__ import annotations

import re

from typer.testing import CliRunner, Result

from fitter import cli


def fitter(*arguments: str) -> Result:
    """`fitter ARGUMENTS` in this process; stdout and stderr apart, as a process gives them.
    An unexpected exception fails the test instead of passing as exit status 1."""
    return CliRunner().invoke(cli.app, list(arguments), catch_exceptions=False)


def count(output: str, label: str) -> int:
    """A row of a summary table."""
    found = re.search(rf"{label}\s*│\s*(\d+)", output)
    assert found, output
    return int(found.group(1))
