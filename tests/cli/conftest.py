"""Every command test runs as a fresh `fitter` process would see the world, even when the
command runs in this process (typer's CliRunner)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from fitter.cli import common


@pytest.fixture(autouse=True)
def fresh_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tmp_path` as the working directory, no FITTER_* or AWS_* variable, and a stderr
    console made now, as in a process whose stderr is a pipe (no colours, no redrawing),
    whatever pytest's stderr was when fitter.cli was imported."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("FITTER_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setattr(common, "err", Console(stderr=True, force_terminal=False))
