"""Load from wrk, and the small probes around it: metrics, store counts, quiet servers.

wrk runs with a Lua script (bench/wrk/) whose `done` prints one `BENCH_JSON {...}` line;
that line, not wrk's human summary, is what the harness reads.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from servers import HOST, Server, tree

WRK_DIR = Path(__file__).resolve().parent / "wrk"
# Long enough that a slow WebP request under load is measured, not dropped as a timeout.
WRK_TIMEOUT = "60s"
QUIET_SECONDS = 30.0


@dataclass(frozen=True)
class Load:
    threads: int
    connections: int


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    extra: dict[str, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p90_ms": round(self.p90_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "max_ms": round(self.max_ms, 1),
            "errors": self.errors,
        } | self.extra


def wrk(
    wrk_path: str,
    url: str,
    load: Load,
    seconds: float,
    script: str,
    args: list[str] | None = None,
) -> WrkResult:
    # wrk takes whole seconds only.
    command = [
        wrk_path,
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(seconds))}s",
    ]
    command += ["--timeout", WRK_TIMEOUT, "-s", str(WRK_DIR / script), url]
    if args:
        command += ["--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    found = re.search(r"^BENCH_JSON (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(found.group(1))
    latency = data.pop("latency_us")
    return WrkResult(
        requests=data.pop("requests"),
        seconds=data.pop("duration_us") / 1e6,
        errors={k: v for k, v in data.pop("errors").items() if v},
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        extra={k: v for k, v in data.items() if k != "bytes"},
    )


def distinct(
    wrk_path: str, server: Server, template: str, load: Load, seconds: float, offset: int
) -> WrkResult:
    """Every request a new box; `offset` is the first request number to use."""
    args = [template, str(offset), str(load.threads)]
    return wrk(wrk_path, server.base + "/", load, seconds, "distinct.lua", args)


def fixed(wrk_path: str, server: Server, path: str, load: Load, seconds: float) -> WrkResult:
    return wrk(wrk_path, server.base + path, load, seconds, "fixed.lua")


def next_offset(offset: int, result: WrkResult, load: Load) -> int:
    """The first request number no request of that run used (sent, answered or not)."""
    return offset + (result.extra["most_sent_by_a_thread"] + 1) * load.threads


# Probes ----------------------------------------------------------------------------------


def get(server: Server, path: str, timeout: float = 120.0) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=timeout)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        headers = {k.lower(): v for k, v in answer.getheaders()}
        return answer.status, headers, answer.read()
    finally:
        connection.close()


def engine_runs(server: Server) -> int:
    """fitter_engine_runs_total of the process that answers (exact with one worker)."""
    status, _, body = get(server, "/metrics")
    found = re.search(rb"^fitter_engine_runs_total (\S+)$", body, re.MULTILINE)
    if status != 200 or not found:
        raise SystemExit(f"{server.name}: no fitter_engine_runs_total in /metrics")
    return int(float(found.group(1)))


def stored_files(server: Server) -> int:
    """Finished variants in the store (temporary names start with a dot)."""
    if not server.store.exists():
        return 0
    return sum(1 for p in server.store.rglob("*") if p.is_file() and not p.name.startswith("."))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process tree, from /proc."""
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / 100  # clock ticks; Linux's USER_HZ is 100


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / 100


def bench_cpu_seconds(server_pid: int | None) -> float:
    """CPU time of the server tree, this harness and its finished children (wrk, limits)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    return own + (cpu_seconds(server_pid) if server_pid else 0.0)


@dataclass
class OtherWork:
    """How many cores something outside the bench used while a run was measured, and how
    much CPU the server itself used.

    Other work on the machine takes cores from the servers and from the libvips limits at
    different moments, so a run where it was busy is noise; the table says so. The server's
    own CPU time per answer shows where a server stands against the libvips limits even
    when it does not use every core.
    """

    server_pid: int | None = None
    started: float = 0.0
    machine: float = 0.0
    ours: float = 0.0
    server: float = 0.0
    cores: float = 0.0

    def __enter__(self) -> OtherWork:
        self.started = time.perf_counter()
        self.machine, self.ours = machine_busy_seconds(), bench_cpu_seconds(self.server_pid)
        self.server = cpu_seconds(self.server_pid) if self.server_pid else 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        machine = machine_busy_seconds() - self.machine
        ours = bench_cpu_seconds(self.server_pid) - self.ours
        self.cores = max(0.0, machine - ours) / elapsed if elapsed else 0.0
        if self.server_pid:
            self.server = cpu_seconds(self.server_pid) - self.server


def wait_quiet(server: Server) -> None:
    """Wait until the server has finished the work wrk left in flight when it stopped.

    wrk abandons its open requests at the end of a run, but a server still finishes them;
    measuring the next run before that would charge it for the last one's leftovers.
    """
    deadline = time.monotonic() + QUIET_SECONDS
    before = cpu_seconds(server.process.pid)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = cpu_seconds(server.process.pid)
        if now - before < 0.03:  # under 10 % of one core over the interval
            return
        before = now


@dataclass(frozen=True)
class Burst:
    seconds: float
    statuses: list[int]
    layers: list[str]


def burst(server: Server, path: str, count: int) -> Burst:
    """`count` requests for one URL at the same moment, each on its own open connection.

    The connections are opened first and the requests written from one asyncio loop, so
    the time is the server's (from the first request written to the last answer read) and
    the client adds little: Python threads would add their own start-up and GIL hand-offs.
    """
    return asyncio.run(_burst(server.port, path, count))


async def _burst(port: int, path: str, count: int) -> Burst:
    connections = [await asyncio.open_connection(HOST, port) for _ in range(count)]
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        writer.write(request.encode())
        await writer.drain()
        answer = await reader.read()  # the server closes after the answer
        writer.close()
        return answer

    started = time.perf_counter()
    answers = await asyncio.gather(*(one(r, w) for r, w in connections))
    elapsed = time.perf_counter() - started
    heads = [answer.split(b"\r\n\r\n", 1)[0].decode("latin-1") for answer in answers]
    return Burst(elapsed, [status_of(head) for head in heads], [layer_of(h) for h in heads])


def status_of(head: str) -> int:
    parts = head.split(" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def layer_of(head: str) -> str:
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "x-fitter-cache":
            return value.strip()
    return ""
