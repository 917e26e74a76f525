"""`fitter worker` processes for the tests that queue work: started as a user starts them,
ready once Celery says so, and killed once their part is over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from support import services

FITTER = [sys.executable, "-m", "fitter"]


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path


def kill(process: subprocess.Popen[bytes]) -> None:
    """A process whose part is over, stopped at once: how it shuts down is not under test
    here, and a Celery worker's warm shutdown takes seconds."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()


def start_worker(config_path: Path, workdir: Path, concurrency: int = 2) -> Worker:
    """`fitter worker` as a user runs it; waits until Celery says it is ready."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"worker-{uuid.uuid4().hex[:6]}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*FITTER, "worker", "--config", str(config_path), "--concurrency", str(concurrency)],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("FITTER_")},
            preexec_fn=services.die_with_parent,
        )
    services.wait_for(lambda: " ready." in log.read_text(), "fitter worker", process, log)
    return Worker(process, log)
