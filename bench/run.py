"""`make bench`: fitter against thumbor 7.8 and the raw libvips limits, side by side.

Installs its tools and sources into `.bench/` (once), then measures every case of issue 4
on fresh servers on loopback ports with the same load, prints one table and writes it to
`bench/results.json` (a run of only some cases writes `bench/results-<case>+<case>.json`
instead, so the full table is never replaced by a partial one). bench/NOTES.md says how
and why it measures the way it does.

Environment:
  BENCH_SECONDS      measured seconds per run (default 20)
  BENCH_WARMUP       warm-up seconds before each measured run (default BENCH_SECONDS / 4, ≥ 2)
  BENCH_THREADS      wrk threads (default: the number of cores)
  BENCH_CONNECTIONS  wrk connections (default: 4 per core)
  BENCH_CASES        a comma list to run only some cases:
                     jpeg,thumbor-url,png,cached,burst,large,webp
                     (thumbor-url: the jpeg case with both servers asked thumbor's URL;
                     it reuses the jpeg case's libvips limits when both run, has none alone)
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cases
import pyvips
import report
from load import Load
from prepare import BENCH_DIR, ROOT, THUMBOR_VERSION, install_tools, log, prepare_images

RESULTS = Path(__file__).resolve().parent / "results.json"
ALL_CASES = ("jpeg", "thumbor-url", "png", "cached", "burst", "large", "webp")
SOURCES = {
    "jpeg": "photo.jpg",
    "thumbor-url": "photo.jpg",
    "png": "demo.png",
    "cached": "photo.jpg",
    "burst": "photo.jpg",
    "large": "large.jpg",
    "webp": "pixels-l.webp",
}


def cores() -> int:
    return len(os.sched_getaffinity(0))


def env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def chosen_cases() -> list[str]:
    wanted = [c.strip() for c in os.environ.get("BENCH_CASES", "").split(",") if c.strip()]
    unknown = sorted(set(wanted) - set(ALL_CASES))
    if unknown:
        raise SystemExit(f"BENCH_CASES: unknown {unknown}; known: {', '.join(ALL_CASES)}")
    return [c for c in ALL_CASES if not wanted or c in wanted]


def reproduce_command() -> str:
    """`make bench` with the BENCH_* variables this run was given."""
    given = {k: v for k, v in os.environ.items() if k.startswith("BENCH_")}
    given.setdefault("BENCH_SECONDS", "20")
    parts = [f"{k}={shlex.quote(v)}" for k, v in sorted(given.items())]
    return " ".join([*parts, "make bench"])


def results_path(names: list[str]) -> Path:
    """results.json for a run of every case; a partial run gets its own file beside it."""
    if set(names) == set(ALL_CASES):
        return RESULTS
    return RESULTS.with_name(f"results-{'+'.join(names)}.json")


def measure(bench: cases.Bench, names: list[str]) -> dict[str, Any]:
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "jpeg": lambda: cases.uncached_case(bench, SOURCES["jpeg"]),
        # fitter asked thumbor's own URL; the libvips limits are the jpeg case's (same work).
        "thumbor-url": lambda: cases.uncached_case(
            bench, SOURCES["thumbor-url"], fitter_form="thumbor", limits_from="jpeg"
        ),
        "png": lambda: cases.uncached_case(bench, SOURCES["png"]),
        "cached": lambda: cases.cached_case(bench, SOURCES["cached"]),
        "burst": lambda: cases.burst_case(bench, SOURCES["burst"]),
        "large": lambda: cases.uncached_case(bench, SOURCES["large"]),
        "webp": lambda: cases.uncached_case(bench, SOURCES["webp"]),
    }
    measured = {}
    for name in names:
        log(f"case {name} ({SOURCES[name]})")
        measured[name] = runners[name]()
    return measured


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cores": cores(),
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }


def versions() -> dict[str, str]:
    """What was measured: fitter's commit (and whether the tree had edits), the others."""
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "fitter"], capture_output=True, text=True
    )
    return {
        "fitter_commit": commit.stdout.strip(),
        "fitter_tree": "edited" if dirty.stdout.strip() else "clean",
        "thumbor": THUMBOR_VERSION,
        "libvips": f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
        "pyvips": pyvips.__version__,
    }


def bench_from_env(work: Path) -> cases.Bench:
    count = cores()
    seconds = env_number("BENCH_SECONDS", 20)
    load = Load(
        threads=int(env_number("BENCH_THREADS", count)),
        connections=int(env_number("BENCH_CONNECTIONS", 4 * count)),
    )
    warmup = env_number("BENCH_WARMUP", max(2.0, seconds / 4))
    return cases.Bench(install_tools(), prepare_images(), work, count, load, seconds, warmup)


def print_summary(rows: list[report.Row], noisy: list[str], command: str, written: Path) -> None:
    print()
    print(report.table(rows))
    print()
    for row in rows:
        if row.note:
            print(f"- {row.id}: {row.note}")
    if noisy:
        print("\nOther work on the machine used this many cores during a measured run")
        print("(those ratios are noise; run again on a quiet machine):")
        for line in noisy:
            print(f"  {line}")
    targets = [row for row in rows if row.has_target]
    missed = [row.id for row in targets if not row.met]
    print(f"\n{len(targets) - len(missed)} of {len(targets)} targets met", end="")
    print(f"; missed: {', '.join(missed)}" if missed else "")
    print(f"Written to {written.relative_to(ROOT)}. Reproduce with: {command}")


def main() -> None:
    started = time.time()
    names = chosen_cases()
    at_start = machine()
    BENCH_DIR.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=BENCH_DIR))
    try:
        bench = bench_from_env(work)
        log(
            f"{len(names)} cases, {bench.seconds:g} s each run after {bench.warmup:g} s "
            f"warm-up, wrk -t{bench.load.threads} -c{bench.load.connections}, "
            f"{bench.cores} cores"
        )
        measured = measure(bench, names)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = report.build_rows(measured, bench.cores)
    noisy = report.noise(measured)
    command = reproduce_command()
    results = {
        "command": command,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "minutes": round((time.time() - started) / 60, 1),
        "settings": {
            "seconds": bench.seconds,
            "warmup_seconds": bench.warmup,
            "wrk_threads": bench.load.threads,
            "wrk_connections": bench.load.connections,
            "cases": names,
        },
        "machine": at_start,
        "versions": versions(),
        "noise": noisy,
        "rows": [row.as_json() for row in rows],
        "cases": measured,
    }
    written = results_path(names)
    written.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print_summary(rows, noisy, command, written)


if __name__ == "__main__":
    main()
