"""A real `fitter serve` process on a free loopback port, for the end-to-end tests, and the
smallest configuration that serves the tests' images."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from support import services

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Server:
    url: str
    root: Path
    store: Path
    process: subprocess.Popen[bytes]

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **options)


def start_server(
    config: dict[str, Any], workdir: Path, env: dict[str, str] | None = None
) -> Server:
    """`fitter serve` as a user runs it, on a free loopback port; waits until it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "fitter.yaml"
    path.write_text(yaml.safe_dump(config))
    port = services.free_ports(1)[0]
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "fitter", "serve", "--config", str(path), "--port", str(port)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        # A server that dies in native code leaves its Python stack in server.log.
        env={k: v for k, v in os.environ.items() if not k.startswith("FITTER_")}
        | {"PYTHONFAULTHANDLER": "1"}
        | (env or {}),
        preexec_fn=services.die_with_parent,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((workdir / "server.log").read_text())
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                store = config["storage"]["store"].get("location", "")
                source = config["storage"].get("source", {}).get("location", store)
                return Server(url, Path(source), Path(store), process)
        except httpx.TransportError:
            time.sleep(0.1)
    stop_server(process)
    raise RuntimeError("the server did not start in 30 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    services.stop(process)


def fs_config(images: Path, store: Path, **sections: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "storage": {
            "source": {"type": "fs", "location": str(images)},
            "store": {"type": "fs", "location": str(store)},
        },
    }
    for name, value in sections.items():
        config[name] = value
    return config
