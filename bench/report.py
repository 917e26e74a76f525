"""From the measured cases to the issue's table: one row per target, as text and as JSON.

Each row keeps each server's best setting, the ratios the target is written in, and
whether the target is met; the raw runs stay in the JSON so a reader can check a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Case = dict[str, Any]
# Fewer answers than this in a measured run give a rate too coarse to compare.
MIN_ANSWERS = 10


@dataclass
class Check:
    what: str
    value: float | None
    need: str  # ">= 1.05" or "<= 0.5" or "== 1"

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        op, threshold = self.need.split()
        limit = float(threshold)
        return {">=": self.value >= limit, "<=": self.value <= limit, "==": self.value == limit}[op]

    def as_json(self) -> dict[str, Any]:
        value = None if self.value is None else round(self.value, 3)
        return {"what": self.what, "value": value, "need": self.need, "met": self.met}


@dataclass
class Row:
    id: str
    case: str
    target: str
    fitter: dict[str, Any] | None = None
    thumbor: dict[str, Any] | None = None
    ratio: float | None = None
    vs_ceiling: float | None = None
    vs_floor: float | None = None
    rss: tuple[float, float] | None = None
    note: str = ""
    proven: bool = True
    too_few: bool = False  # a run answered fewer requests than a rate can be read from
    checks: list[Check] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.proven and not self.too_few and all(check.met for check in self.checks)

    @property
    def has_target(self) -> bool:
        """A row without checks only reports (its target and result say "—")."""
        return bool(self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case": self.case,
            "target": self.target,
            "fitter": self.fitter,
            "thumbor": self.thumbor,
            "fitter_over_thumbor": rounded(self.ratio),
            "fitter_over_libvips_ceiling": rounded(self.vs_ceiling),
            "fitter_over_decode_floor": rounded(self.vs_floor),
            "peak_rss_mb": None
            if self.rss is None
            else {"fitter": self.rss[0], "thumbor": self.rss[1]},
            "note": self.note,
            "proven": self.proven,
            "too_few_answers": self.too_few,
            "checks": [check.as_json() for check in self.checks],
            "met": self.met if self.has_target else None,
        }


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def best(case: Case, server: str) -> dict[str, Any]:
    """The fastest run of a server whose load was as stated (errors are fast, not good)."""
    runs = [run for run in case["runs"] if run["server"] == server]
    return max(runs, key=lambda run: (proof(run)["proven"], run["load"]["per_second"]))


def proof(run: dict[str, Any]) -> dict[str, Any]:
    return run.get("uncached") or run["cached"]


def problems(case: Case) -> str:
    """Why some run's load was not what the case says, for the row's note."""
    found = [
        f"{run['server']} {run['setting']}: {'; '.join(proof(run)['problems'])}"
        for run in case["runs"]
        if proof(run)["problems"]
    ]
    return f"; NOT AS STATED: {' | '.join(found)}" if found else ""


def with_processes(case: Case, server: str, processes: int) -> dict[str, Any]:
    return next(r for r in case["runs"] if r["server"] == server and r["processes"] == processes)


def side(run: dict[str, Any]) -> dict[str, Any]:
    """What the table shows of one server's kept run."""
    measured = run["load"]
    return {
        "setting": run["setting"],
        "per_second": measured["per_second"],
        "p50_ms": measured["p50_ms"],
        "p99_ms": measured["p99_ms"],
        "peak_rss_mb": run["memory"]["sum_vmhwm_mb"],
    }


def uncached_row(
    id: str,
    title: str,
    case: Case,
    need_thumbor: str = "",
    need_ceiling: str = "",
    need_floor: str = "",
    limits: dict[str, Any] | None = None,
) -> Row:
    """`limits`: the in-process limits when the case shares another case's (`limits_from`);
    without any, the ceiling and floor columns stay empty. No `need_*`: a row that reports."""
    limits = case.get("limits", limits) or {}
    fitter, thumbor = best(case, "fitter"), best(case, "thumbor")
    f = fitter["load"]["per_second"]
    ceiling = limits.get("ceiling", {}).get("per_second")
    floor = limits.get("floor", {}).get("per_second")
    row = Row(id, title, "", side(fitter), side(thumbor))
    row.ratio = ratio(f, thumbor["load"]["per_second"])
    row.vs_ceiling = ratio(f, ceiling)
    row.vs_floor = ratio(f, floor)
    if need_thumbor:
        row.checks.append(Check("fitter/thumbor", row.ratio, need_thumbor))
    if need_ceiling:
        row.checks.append(Check("fitter/libvips ceiling", row.vs_ceiling, need_ceiling))
    if need_floor:
        row.checks.append(Check("fitter/decode floor", row.vs_floor, need_floor))
    row.target = "; ".join(target_text(check) for check in row.checks) or "—"
    row.proven = all(run["uncached"]["proven"] for run in case["runs"])
    row.too_few = min(run["load"]["requests"] for run in case["runs"]) < MIN_ANSWERS
    row.rss = (fitter["memory"]["sum_vmhwm_mb"], thumbor["memory"]["sum_vmhwm_mb"])
    urls = {run["server"]: run.get("url") for run in (fitter, thumbor)}
    if urls["fitter"] and urls["fitter"] == urls["thumbor"]:
        row.note = f"both servers asked {urls['fitter']}; "
    if ceiling is None or floor is None:
        row.note += "no libvips limits measured in this run"
    else:
        row.note += f"libvips ceiling {ceiling:.1f}/s, libvips decode floor {floor:.1f}/s"
    if "limits_from" in case and limits:
        row.note += f" (the {case['limits_from']} case's, same source and work)"
    pillow = limits.get("pillow_floor")
    if pillow:
        row.note += (
            f", Pillow (libjpeg-turbo) decode floor {pillow['per_second']:.1f}/s "
            f"(fitter/that {f / pillow['per_second']:.2f})"
        )
    row.note += cpu_per_answer(fitter, thumbor, limits)
    row.note += same_answers(fitter, thumbor) + problems(case)
    return row


def cpu_per_answer(fitter: dict[str, Any], thumbor: dict[str, Any], limits: Case) -> str:
    """Server CPU time per answer against the in-process limits' CPU time per image."""
    f, t = fitter.get("server_cpu_ms_per_answer"), thumbor.get("server_cpu_ms_per_answer")
    if f is None or t is None:
        return ""
    text = f"; server CPU per answer: fitter {f:.1f} ms, thumbor {t:.1f} ms"
    for kind, name in (("ceiling", "libvips ceiling"), ("pillow_floor", "Pillow decode")):
        measured = limits.get(kind, {})
        if "cpu_ms_per_image" in measured:
            text += f", {name} {measured['cpu_ms_per_image']:.1f} ms"
    return text


def same_answers(fitter: dict[str, Any], thumbor: dict[str, Any]) -> str:
    """Both servers must have made the same image for the comparison to mean anything."""
    f, t = fitter["answer"], thumbor["answer"]
    if (f.get("size"), f.get("format")) != (t.get("size"), t.get("format")):
        return f"; ANSWERS DIFFER: fitter {f} vs thumbor {t}"
    return (
        f"; same answer {f['size']} {f['format']} (fitter {f['bytes']} B, thumbor {t['bytes']} B)"
    )


def noise(cases: dict[str, Case], limit: float = 0.25) -> list[str]:
    """Runs during which something outside the bench used more than `limit` cores."""
    found = []
    for name, case in cases.items():
        for run in case.get("runs", []):
            if run["other_work_cores"] > limit:
                found.append(f"{name} {run['server']} {run['setting']}: {run['other_work_cores']}")
        for kind, measured in case.get("limits", {}).items():
            if measured["other_work_cores"] > limit:
                label = kind.replace("_", " ") if "_" in kind else f"libvips {kind}"
                found.append(f"{name} {label}: {measured['other_work_cores']}")
    return found


def target_text(check: Check) -> str:
    op, value = check.need.split()
    symbol = {">=": "≥", "<=": "≤", "==": "="}[op]
    return f"{check.what} {symbol} {value}"


def cached_row(case: Case) -> Row:
    """fitter's best against thumbor with the same number of processes."""
    fitter = best(case, "fitter")
    thumbor = with_processes(case, "thumbor", fitter["processes"])
    row = Row("cached", "cached hit of one 200x300 variant", "", side(fitter), side(thumbor))
    row.ratio = ratio(fitter["load"]["per_second"], thumbor["load"]["per_second"])
    row.checks.append(Check("fitter/thumbor (same processes)", row.ratio, ">= 4"))
    row.target = target_text(row.checks[0])
    row.proven = all(run["cached"]["proven"] for run in case["runs"])
    row.rss = (fitter["memory"]["sum_vmhwm_mb"], thumbor["memory"]["sum_vmhwm_mb"])
    row.note = f"thumbor with the file result storage, {thumbor['setting']}"
    row.note += same_answers(fitter, thumbor) + problems(case)
    return row


def workers_row(case: Case, cores: int) -> Row:
    one = with_processes(case, "fitter", 1)
    many = with_processes(case, "fitter", cores)
    row = Row("workers", f"cached hits, --workers {cores} vs --workers 1", "", side(many))
    row.thumbor = None
    row.ratio = ratio(many["load"]["per_second"], one["load"]["per_second"])
    row.checks.append(Check(f"workers {cores}/workers 1", row.ratio, ">= 1.6"))
    row.target = target_text(row.checks[0])
    row.note = f"--workers 1: {one['load']['per_second']:.0f}/s"
    row.fitter = side(many) | {"workers_1": side(one)}
    return row


def burst_row(case: Case) -> Row:
    count = case["concurrent"]
    row = Row("burst", f"{count} concurrent requests for one new variant", "")
    row.fitter = {
        "setting": case["setting"],
        "burst_ms": round(case["burst_s"] * 1000, 1),
        "one_generation_ms": round(case["one_generation_s"] * 1000, 1),
        "engine_runs": case["engine_runs"],
    }
    row.ratio = ratio(case["burst_s"], case["one_generation_s"])
    row.checks = [
        Check("engine runs", case["engine_runs"], "== 1"),
        Check("burst time/one generation", row.ratio, "<= 1.5"),
    ]
    row.target = "; ".join(target_text(check) for check in row.checks)
    row.proven = case["all_ok"]
    row.note = (
        f"one generation alone {case['one_generation_s'] * 1000:.0f} ms; {count} requests for "
        f"a cached variant at once {case['cached_burst_s'] * 1000:.0f} ms (the HTTP side alone)"
    )
    return row


def memory_row(case: Case) -> Row:
    """Peak memory of the kept settings while distinct WebP thumbnails run at once (one per
    wrk connection: 8 with the default load on 2 cores)."""
    fitter, thumbor = best(case, "fitter"), best(case, "thumbor")
    f, t = fitter["memory"]["sum_vmhwm_mb"], thumbor["memory"]["sum_vmhwm_mb"]
    title = f"peak RSS, {case['connections']} concurrent distinct thumbnails of the 4096x4096 WebP"
    row = Row("memory", title, "", side(fitter), side(thumbor), rss=(f, t))
    row.ratio = ratio(f, t)
    row.checks.append(Check("fitter RSS/thumbor RSS", row.ratio, "<= 0.5"))
    row.target = target_text(row.checks[0])
    pss = fitter["memory"]["peak_pss_mb"], thumbor["memory"]["peak_pss_mb"]
    row.note = f"sum of VmHWM; sampled peak PSS {pss[0]:.0f} vs {pss[1]:.0f} MB"
    # Memory needs the thumbnails in flight, not answered: only the two kept runs count.
    row.proven = fitter["uncached"]["proven"] and thumbor["uncached"]["proven"]
    return row


def build_rows(cases: dict[str, Case], cores: int) -> list[Row]:
    rows: list[Row] = []
    if "jpeg" in cases:
        title = "uncached: 2560x1600 JPEG → fit inside ~200x300, JPEG q80"
        rows.append(uncached_row("jpeg", title, cases["jpeg"], ">= 1.05", ">= 0.9", ">= 0.85"))
    if "thumbor-url" in cases:
        # No target: it shows fitter answering an existing thumbor URL, next to thumbor.
        title = "uncached: 2560x1600 JPEG, both asked thumbor's /unsafe/fit-in/… URL"
        shared = cases.get(cases["thumbor-url"].get("limits_from", ""), {}).get("limits")
        rows.append(uncached_row("thumbor-url", title, cases["thumbor-url"], limits=shared))
    if "png" in cases:
        title = "uncached: 2880x1800 PNG → 200x300"
        rows.append(uncached_row("png", title, cases["png"], ">= 2.0", ">= 0.9"))
    if "cached" in cases:
        rows.append(cached_row(cases["cached"]))
    if "burst" in cases:
        rows.append(burst_row(cases["burst"]))
    if "large" in cases:
        title = "uncached: 5120x2880 JPEG → ~200x300"
        rows.append(uncached_row("large", title, cases["large"], ">= 1.3"))
    if "webp" in cases:
        title = "uncached: 4096x4096 WebP → ~200x300"
        rows.append(uncached_row("webp", title, cases["webp"], ">= 2.0"))
        rows.append(memory_row(cases["webp"]))
    if "cached" in cases:
        rows.append(workers_row(cases["cached"], cores))
    return rows


# Text ------------------------------------------------------------------------------------

COLUMNS = (
    "case",
    "fitter req/s",
    "thumbor req/s",
    "fitter/thumbor",
    "fitter p50/p99 ms",
    "thumbor p50/p99 ms",
    "peak RSS MB f/t",
    "f/libvips ceiling",
    "f/decode floor",
    "target",
    "result",
)
SHORT = {"--workers 1": "w1", "1 process, thread pool": "1p pool"}


def short(setting: str) -> str:
    if setting in SHORT:
        return SHORT[setting]
    return setting.replace("--workers ", "w").replace(" processes", "p")


def cells(row: Row) -> list[str]:
    f, t = row.fitter or {}, row.thumbor or {}
    if row.id == "burst":
        fitter_cell = f"{f['burst_ms']:.0f} ms for all ({f['engine_runs']} engine run)"
        thumbor_cell = "—"
        ratio_cell = f"one: {f['one_generation_ms']:.0f} ms"
    else:
        fitter_cell = f"{f['per_second']:.1f} ({short(f['setting'])})"
        thumbor_cell = f"{t['per_second']:.1f} ({short(t['setting'])})" if t else "—"
        ratio_cell = number(row.ratio)
    if row.id == "workers":
        thumbor_cell = f"w1: {f['workers_1']['per_second']:.1f}"
    if row.id == "memory" and row.rss:
        fitter_cell = f"{row.rss[0]:.0f} MB ({short(f['setting'])})"
        thumbor_cell = f"{row.rss[1]:.0f} MB ({short(t['setting'])})"
    result = ("met" if row.met else "MISSED") if row.has_target else "—"
    if row.too_few:
        result += " (too few answers: raise BENCH_SECONDS)"
    elif not row.proven:
        result += " (load not as stated!)"
    return [
        row.case,
        fitter_cell,
        thumbor_cell,
        ratio_cell,
        latency(f),
        latency(t),
        f"{row.rss[0]:.0f}/{row.rss[1]:.0f}" if row.rss else "",
        number(row.vs_ceiling),
        number(row.vs_floor),
        row.target,
        result,
    ]


def number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def latency(side_: dict[str, Any]) -> str:
    if "p50_ms" not in side_:
        return ""
    return f"{side_['p50_ms']:.0f}/{side_['p99_ms']:.0f}"


def table(rows: list[Row]) -> str:
    """A Markdown table, so it can go into the README as printed."""
    lines = [list(COLUMNS), *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]

    def render(line: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])
