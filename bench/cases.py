"""The cases of the issue's table, each measured on fresh servers under the same load.

A case runs every setting of each server (fitter `--workers 1` and `--workers <cores>`;
thumbor one process with a thread pool per core, and one process per core) and keeps
each server's best, as its operators would. Every measured run is preceded by a warm-up
and followed by a check that the load was what the case says it is.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import load
import pyvips
from load import Load, WrkResult
from prepare import ROOT, THUMBOR_VENV, Tools, log
from servers import MemorySampler, Server, start_fitter, start_thumbor, stop
from sizes import box

LIMITS = Path(__file__).resolve().parent / "limits.py"
PILLOW_FLOOR = Path(__file__).resolve().parent / "pillow_floor.py"
PYTHON = ROOT / ".venv" / "bin" / "python"
THUMBOR_PYTHON = THUMBOR_VENV / "bin" / "python"
# A box outside the wrk sequence (widths 100-300, heights 200-400): the pre-flight request
# that compares both servers' answers never makes a measured request a repeat.
CHECK_BOX = (301, 401)
FIXED_BOX = (200, 300)


@dataclass(frozen=True)
class Bench:
    """What every case needs: tools, sources, load shape and durations."""

    tools: Tools
    images: Path
    work: Path
    cores: int
    load: Load
    seconds: float
    warmup: float


@dataclass(frozen=True)
class Setting:
    server: str  # "fitter" or "thumbor"
    label: str
    processes: int

    def start(self, bench: Bench, work: Path, result_storage: bool = False) -> Server:
        if self.server == "fitter":
            return start_fitter(work, bench.images, self.processes)
        return start_thumbor(
            bench.tools.thumbor, work, bench.images, self.processes, bench.cores, result_storage
        )


def settings(cores: int) -> list[Setting]:
    """thumbor's two production settings and fitter's one and many workers."""
    return [
        Setting("thumbor", "1 process, thread pool", 1),
        Setting("thumbor", f"{cores} processes", cores),
        Setting("fitter", "--workers 1", 1),
        Setting("fitter", f"--workers {cores}", cores),
    ]


def fitter_url(source: str, size: tuple[int, int] | None = None) -> str:
    w, h = size or ("{w}", "{h}")
    return f"/image?path={source}&width={w}&height={h}&fit=inside&format=jpeg&quality=80"


def thumbor_url(source: str, size: tuple[int, int] | None = None) -> str:
    w, h = size or ("{w}", "{h}")
    return f"/unsafe/fit-in/{w}x{h}/filters:quality(80):format(jpeg)/{source}"


def url_for(
    server: str, source: str, size: tuple[int, int] | None = None, fitter_form: str = "native"
) -> str:
    """thumbor's URL for thumbor; fitter's own `/image?…`, or with `fitter_form="thumbor"`
    the very same thumbor URL (fitter answers those too, see docs/thumbor.md)."""
    native = server == "fitter" and fitter_form == "native"
    return (fitter_url if native else thumbor_url)(source, size)


@contextmanager
def running(setting: Setting, bench: Bench, result_storage: bool = False) -> Iterator[Server]:
    work = Path(tempfile.mkdtemp(prefix=f"{setting.server}-", dir=bench.work))
    server = setting.start(bench, work, result_storage)
    try:
        yield server
    finally:
        stop(server)


def answer_shape(server: Server, path: str) -> dict[str, object]:
    """One answer's status, format and size, so both servers are seen doing the same work."""
    status, headers, body = load.get(server, path)
    shape: dict[str, object] = {"status": status, "bytes": len(body)}
    if status == 200:
        image = pyvips.Image.new_from_buffer(body, "")
        shape |= {
            "size": f"{image.width}x{image.height}",
            "format": image.get("vips-loader").removesuffix("load_buffer"),
            "content_type": headers.get("content-type", ""),
        }
    return shape


# Uncached ---------------------------------------------------------------------------------


def uncached_run(
    bench: Bench, setting: Setting, source: str, fitter_form: str = "native"
) -> dict[str, object]:
    """Warm-up, then the measured run, every request a new variant; memory watched throughout."""
    template = url_for(setting.server, source, fitter_form=fitter_form)
    with running(setting, bench) as server:
        shape = answer_shape(server, url_for(setting.server, source, CHECK_BOX, fitter_form))
        with MemorySampler(server.process.pid) as memory:
            warm = load.distinct(bench.tools.wrk, server, template, bench.load, bench.warmup, 0)
            load.wait_quiet(server)
            # The measured run starts past every number the warm-up used.
            offset = load.next_offset(0, warm, bench.load)
            before = counts(server, setting)
            with load.OtherWork(server.process.pid) as other:
                result = load.distinct(
                    bench.tools.wrk, server, template, bench.load, bench.seconds, offset
                )
            load.wait_quiet(server)
            after = counts(server, setting)
    run = describe(setting, result, other) | {"url": template, "answer": shape}
    run["memory"] = memory.report()
    run["uncached"] = uncached_proof(setting, result, before, after, bench.load)
    log(f"  {setting.server} {setting.label}: {result.per_second:.1f} req/s")
    return run


def counts(server: Server, setting: Setting) -> dict[str, int]:
    found = {"stored": load.stored_files(server)}
    if setting.server == "fitter" and setting.processes == 1:
        found["engine_runs"] = load.engine_runs(server)
    return found


def uncached_proof(
    setting: Setting, result: WrkResult, before: dict[str, int], after: dict[str, int], shape: Load
) -> dict[str, object]:
    """Every answered request was generated for it; `problems` says what was not so.

    wrk drops the requests still open when its time is up, but the server finishes them;
    so the engine ran at least once per answer and at most `connections` times more.
    """
    answered = result.requests
    proof: dict[str, object] = {"answered": answered, "ok": result.extra["ok"]}
    problems = []
    if answered == 0:
        problems.append("no answer in the measured time")
    if result.extra["ok"] != answered or result.failed:
        problems.append(f"{answered - result.extra['ok']} answers not 200, errors {result.errors}")
    if setting.server == "fitter":
        proof["misses"] = result.extra["misses"]
        if result.extra["misses"] != answered:
            problems.append(f"{answered - result.extra['misses']} answers not X-Fitter-Cache: miss")
        for name in ("engine_runs", "stored"):
            if name in after:
                delta = after[name] - before[name]
                proof[name] = delta
                if not answered <= delta <= answered + shape.connections:
                    problems.append(f"{name} grew by {delta} for {answered} answers")
    elif after["stored"]:
        # No result storage in thumbor's uncached conf: nothing may have been kept.
        problems.append(f"thumbor kept {after['stored']} results")
    proof["problems"] = problems
    proof["proven"] = not problems
    return proof


def describe(setting: Setting, result: WrkResult, other: load.OtherWork) -> dict[str, object]:
    # The requests still open when wrk stops have used some CPU but have no answer: a
    # slight overestimate, at most one request per connection.
    per_answer = other.server / result.requests * 1000 if result.requests else None
    return {
        "server": setting.server,
        "setting": setting.label,
        "processes": setting.processes,
        "load": result.summary(),
        "server_cpu_ms_per_answer": None if per_answer is None else round(per_answer, 2),
        "other_work_cores": round(other.cores, 2),
    }


def uncached_case(
    bench: Bench, source: str, fitter_form: str = "native", limits_from: str = ""
) -> dict[str, object]:
    """`limits_from` names the case whose in-process limits (same source) this one shares,
    instead of measuring them again."""
    runs = [uncached_run(bench, s, source, fitter_form) for s in settings(bench.cores)]
    case: dict[str, object] = {
        "source": source,
        "fitter_url": fitter_form,
        "connections": bench.load.connections,
        "runs": runs,
    }
    if limits_from:
        return case | {"limits_from": limits_from}
    return case | {"limits": limits(bench, source)}


def limits(bench: Bench, source: str) -> dict[str, dict[str, float]]:
    """The libvips ceiling and decode floor (and for JPEG, Pillow's decode floor), each in
    its own process while no server runs."""
    path = str(bench.images / source)
    timing = ["--threads", str(bench.cores), "--seconds", f"{bench.seconds:g}"]
    # One libvips thread per image: the threads are the cores (measured a little faster
    # than libvips' default of a thread per core inside each image).
    env = dict(os.environ, VIPS_CONCURRENCY="1")
    commands = {
        kind: [str(PYTHON), str(LIMITS), path, "--kind", kind, *timing]
        for kind in ("ceiling", "floor")
    }
    if source.endswith(".jpg"):
        commands["pillow_floor"] = [str(THUMBOR_PYTHON), str(PILLOW_FLOOR), path, *timing]
    return {kind: limit(kind, command, env) for kind, command in commands.items()}


def limit(kind: str, command: list[str], env: dict[str, str]) -> dict[str, float]:
    with load.OtherWork() as other:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    found = json.loads(done.stdout) | {"other_work_cores": round(other.cores, 2)}
    log(f"  {kind.replace('_', ' ')}: {found['per_second']:.1f} images/s")
    return found


# Cached -----------------------------------------------------------------------------------


def cached_run(bench: Bench, setting: Setting, source: str) -> dict[str, object]:
    """One variant asked again and again: fitter's cache, thumbor's file result storage."""
    path = url_for(setting.server, source, FIXED_BOX)
    with running(setting, bench, result_storage=True) as server:
        first = answer_shape(server, path)
        with MemorySampler(server.process.pid) as memory:
            load.fixed(bench.tools.wrk, server, path, bench.load, bench.warmup)
            with load.OtherWork(server.process.pid) as other:
                result = load.fixed(bench.tools.wrk, server, path, bench.load, bench.seconds)
        proof: dict[str, object] = {"stored": load.stored_files(server)}
        if setting.server == "fitter" and setting.processes == 1:
            proof["engine_runs"] = load.engine_runs(server)
    problems = [f"errors {result.errors}"] if result.failed else []
    if proof["stored"] != 1 or proof.get("engine_runs", 1) != 1:
        problems.append(f"expected one variant generated and kept, found {proof}")
    proof["problems"] = problems
    proof["proven"] = not problems
    log(f"  {setting.server} {setting.label}: {result.per_second:.0f} req/s")
    run = describe(setting, result, other) | {"answer": first, "memory": memory.report()}
    return run | {"cached": proof}


def cached_case(bench: Bench, source: str) -> dict[str, object]:
    return {"source": source, "runs": [cached_run(bench, s, source) for s in settings(bench.cores)]}


# One new variant, asked 64 times at once --------------------------------------------------


def burst_case(bench: Bench, source: str, count: int = 64, repeats: int = 5) -> dict[str, object]:
    """fitter only: single-flight means one engine run and about one generation's time.

    "One generation" is one request for a new variant on the idle server, through the same
    client; 64 requests for a variant already cached show what the HTTP side alone costs.
    """
    setting = Setting("fitter", "--workers 1", 1)
    numbers = iter(range(100, 40000, 997))  # boxes spread over the sequence

    def fresh() -> str:
        return fitter_url(source, box(next(numbers)))

    with running(setting, bench) as server:
        for _ in range(3):  # the first requests of a process pay for imports
            load.get(server, fresh())
        alone = [load.burst(server, fresh(), 1).seconds for _ in range(5)]
        bursts = [one_burst(server, fresh(), count) for _ in range(repeats)]
        cached = fitter_url(source, FIXED_BOX)
        load.get(server, cached)
        hits = [load.burst(server, cached, count).seconds for _ in range(repeats)]
    one = statistics.median(alone)
    total = statistics.median(b["seconds"] for b in bursts)
    log(f"  one generation {one * 1000:.0f} ms; {count} at once {total * 1000:.0f} ms")
    return {
        "source": source,
        "setting": setting.label,
        "concurrent": count,
        "one_generation_s": round(one, 4),
        "one_generation_all_s": [round(a, 4) for a in alone],
        "bursts": bursts,
        "burst_s": round(total, 4),
        "cached_burst_s": round(statistics.median(hits), 4),
        "engine_runs": max(b["engine_runs"] for b in bursts),
        "all_ok": all(b["ok"] == count for b in bursts),
    }


def one_burst(server: Server, path: str, count: int) -> dict[str, object]:
    runs_before = load.engine_runs(server)
    result = load.burst(server, path, count)
    load.wait_quiet(server)
    return {
        "seconds": round(result.seconds, 4),
        "engine_runs": load.engine_runs(server) - runs_before,
        "ok": result.statuses.count(200),
        "layers": {x: result.layers.count(x) for x in sorted(set(result.layers))},
    }
