"""`fitter warm`: queue many variants for the workers, or make them here with --local.

The command runs in this process (typer's CliRunner) as a fresh process would see it; the
first queueing run is a real `python -m fitter warm`, which must also exit once it has queued
(nothing left running on the broker's connections). Workers are real `fitter worker`s.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from support import images as synth
from support import services
from support.command import fitter
from support.workers import FITTER, kill, start_worker

PRESETS = {"small": {"width": 24, "format": "webp"}}
COUNT = 30


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = services.start_redis(tmp_path_factory.mktemp("warm-redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A source root with a folder of 30 images."""
    root = tmp_path_factory.mktemp("warm-images")
    (root / "set").mkdir()
    for i in range(COUNT):
        synth.gradient(60 + i, 40).pngsave(str(root / "set" / f"img{i:02}.png"))
    return root


def write_config(tmp: Path, folder: Path, **sections: Any) -> Path:
    config = {
        "storage": {
            "source": {"type": "fs", "location": str(folder)},
            "store": {"type": "fs", "location": str(tmp / "store")},
        },
        "options": {"presets": PRESETS},
        **sections,
    }
    path = tmp / "fitter.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def warm(config: Path, *arguments: str) -> Result:
    """`fitter warm --config CONFIG ARGUMENTS` in this process."""
    return fitter("warm", "--config", str(config), *arguments)


def warm_process(config: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The same as a user runs it."""
    return subprocess.run(
        [*FITTER, "warm", "--config", str(config), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("FITTER_")},
    )


def paths(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in (folder / "set").glob("*.png"))


def variants(tmp: Path) -> list[Path]:
    return list((tmp / "store").glob("**/*.webp"))


def test_warm_queues_each_once_and_a_rerun_queues_nothing(tmp_path, folder, own_redis):
    redis = f"redis://127.0.0.1:{own_redis.port}"
    config = write_config(
        tmp_path,
        folder,
        cache_store={"type": "redis", "port": own_redis.port, "prefix": f"{tmp_path.name}:"},
        tasks={"broker_url": redis + "/1"},
    )
    first = warm_process(config, "--preset", "small", *paths(folder))
    assert first.returncode == 0, first.stderr
    assert "queued 30, already queued 0, already present 0" in first.stdout
    # Nothing has run yet: a re-run finds every variant queued and sends nothing.
    second = warm(config, "--preset", "small", *paths(folder))
    assert "queued 0, already queued 30" in second.stdout
    worker = start_worker(config, tmp_path / "worker")
    try:
        deadline = time.monotonic() + 60
        while len(variants(tmp_path)) < COUNT and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(variants(tmp_path)) == COUNT
        assert {synth.load(p.read_bytes()).width for p in variants(tmp_path)} == {24}
        # The lines of a file, and what exists skipped by its key, without generating.
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(paths(folder)) + "\n")
        third = warm(config, "--preset", "small", "--from-file", str(listing))
        assert third.exit_code == 0, third.stderr
        assert "queued 0, already queued 0, already present 30" in third.stdout
    finally:
        kill(worker.process)


def test_warm_local_generates_here_and_a_failure_exits_non_zero(tmp_path, folder):
    config = write_config(tmp_path, folder)
    done = warm(config, "--local", "--width", "16", "--format", "webp", *paths(folder)[:10])
    assert done.exit_code == 0, done.stderr
    assert "generated 10, failed 0" in done.stdout
    assert {synth.load(p.read_bytes()).width for p in variants(tmp_path)} == {16}
    again = warm(config, "--local", "--width", "16", "--format", "webp", *paths(folder)[:10])
    assert "already present 10, generated 0" in again.stdout
    broken = warm(config, "--local", "--preset", "small", "set/img00.png", "set/missing.png")
    assert broken.exit_code == 1
    assert "generated 1, failed 1" in broken.stdout
    assert "set/missing.png" in broken.stderr


def test_warm_without_a_broker_asks_for_local(tmp_path, folder):
    answer = warm(write_config(tmp_path, folder), "--preset", "small", "set/img00.png")
    assert answer.exit_code == 1
    assert "--local" in answer.stderr
