"""fitter and thumbor as real servers on free loopback ports, and their memory.

Each server is started in its own session, so it and the processes it forks (uvicorn's
workers, thumbor's `--processes`) form one process group whose id is the pid we started:
stopping it signals that group and nothing else. Every case gets a fresh server (and a
fresh store or result storage), so one case's cache or memory never carries into the next.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from prepare import ROOT

HOST = "127.0.0.1"
FITTER = ROOT / ".venv" / "bin" / "fitter"
THUMBOR_CONF_TEMPLATE = Path(__file__).resolve().parent / "thumbor.conf"
START_SECONDS = 60.0
STOP_SECONDS = 15.0


@dataclass
class Server:
    name: str
    setting: str
    port: int
    process: subprocess.Popen
    log: Path
    store: Path
    health: str

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    """A port nothing listens on now (the kernel's choice, released for the server)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def fitter_config(work: Path, images: Path) -> Path:
    """fs source on the bench images, a fresh fs store, the in-memory cache, and thumbor's
    `/unsafe/` URLs answered too (the `thumbor-url` case asks fitter those)."""
    store = work / "store"
    store.mkdir(parents=True)
    config = work / "fitter.yaml"
    config.write_text(
        "cache_store:\n"
        "  type: in-memory\n"
        "storage:\n"
        "  source:\n"
        "    type: fs\n"
        f"    location: {images}\n"
        "  store:\n"
        "    type: fs\n"
        f"    location: {store}\n"
        "thumbor:\n"
        "  allow_unsafe: true\n"
    )
    return config


def start_fitter(work: Path, images: Path, workers: int) -> Server:
    config = fitter_config(work, images)
    port = free_port()
    command = [str(FITTER), "serve", "--config", str(config), "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers)]
    # A FITTER_* variable left in the caller's environment would change what we measure.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FITTER_")}
    return launch("fitter", f"--workers {workers}", command, work, port, work / "store", env)


def thumbor_config(work: Path, images: Path, threads: int, result_storage: bool) -> Path:
    """thumbor's conf from bench/thumbor.conf: file loader, no original storage."""
    results = work / "result-storage"
    text = Template(THUMBOR_CONF_TEMPLATE.read_text()).substitute(
        root=repr(str(images)),
        threads=threads,
        result_storage=repr("thumbor.result_storages.file_storage" if result_storage else None),
        result_root=repr(str(results)),
    )
    conf = work / "thumbor.conf"
    conf.write_text(text)
    return conf


def start_thumbor(
    thumbor: Path, work: Path, images: Path, processes: int, threads: int, result_storage: bool
) -> Server:
    conf = thumbor_config(work, images, threads, result_storage)
    port = free_port()
    command = [str(thumbor), "-i", HOST, "-p", str(port), "-c", str(conf), "-l", "error"]
    command += ["--processes", str(processes)]
    setting = f"--processes {processes}, ENGINE_THREADPOOL_SIZE={threads}"
    return launch(
        "thumbor", setting, command, work, port, work / "result-storage", dict(os.environ)
    )


def launch(
    name: str,
    setting: str,
    command: list[str],
    work: Path,
    port: int,
    store: Path,
    env: dict[str, str],
) -> Server:
    log = work / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    health = "/health" if name == "fitter" else "/healthcheck"
    server = Server(name, setting, port, process, log, store, health)
    wait_ready(server)
    return server


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited at start:\n{tail(server.log)}")
        try:
            with urllib.request.urlopen(server.base + server.health, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    stop(server)
    late = f"{server.name} did not answer {server.health} in {START_SECONDS:.0f} s"
    raise SystemExit(f"{late}:\n{tail(server.log)}")


def tail(log: Path, lines: int = 30) -> str:
    """The end of a server's log: the run's folder is removed when the bench stops."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop(server: Server) -> None:
    """SIGTERM to the server's own process group, SIGKILL if it lingers."""
    if server.process.poll() is None:
        signal_group(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            signal_group(server.process.pid, signal.SIGKILL)
            server.process.wait()
    # Forked workers may outlive their parent for a moment; the group id is still ours.
    signal_group(server.process.pid, signal.SIGKILL)


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


# Memory ------------------------------------------------------------------------------


def tree(root: int) -> list[int]:
    """The pid and every descendant of it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def status_kb(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid: int) -> int:
    """Proportional set size: pages shared between forked processes counted once overall."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemorySampler:
    """Watches a server's process tree while load runs.

    `hwm` sums each process's own peak (VmHWM): exact per process, but it counts pages that
    forked processes share once per process. `pss` is the sampled peak of the summed
    proportional set size, which counts shared pages once; both are reported.
    """

    pid: int
    interval: float = 0.1
    peak_rss_kb: int = 0
    peak_pss_kb: int = 0
    hwm_kb: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        pids = tree(self.pid)
        self.peak_rss_kb = max(self.peak_rss_kb, sum(status_kb(p, "VmRSS") for p in pids))
        self.peak_pss_kb = max(self.peak_pss_kb, sum(pss_kb(p) for p in pids))
        for pid in pids:
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status_kb(pid, "VmHWM"))

    def report(self) -> dict[str, float]:
        return {
            "processes": len(self.hwm_kb),
            "sum_vmhwm_mb": round(sum(self.hwm_kb.values()) / 1024, 1),
            "peak_rss_mb": round(self.peak_rss_kb / 1024, 1),
            "peak_pss_mb": round(self.peak_pss_kb / 1024, 1),
        }
