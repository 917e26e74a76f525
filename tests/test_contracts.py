"""The import contract "only the engine imports pyvips" names its modules one by one
(import-linter has no "all but"): every top-level part of the package must be named."""

from __future__ import annotations

import pkgutil
import tomllib

import fitter
from support.servers import ROOT


def test_every_part_of_the_package_but_the_engine_is_held_to_the_pyvips_contract() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [contract] = [
        c
        for c in settings["tool"]["importlinter"]["contracts"]
        if c.get("forbidden_modules") == ["pyvips"]
    ]
    parts = {f"fitter.{m.name}" for m in pkgutil.iter_modules(fitter.__path__)}
    assert set(contract["source_modules"]) == parts - {"fitter.engine", "fitter.__main__"}
