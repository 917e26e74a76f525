"""fitter's own URL grammar: query parameters, as the seed's `/get?mode=resize&path=…`.

Each parameter has a small parse function in one table; every problem in a request is
collected and reported at once. Equivalent spellings (`w` and `width`, `upscale=yes` and
`1`, `quality=080` and `80`, any order) give equal Plans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fitter.dialects import args
from fitter.dialects.args import Invalid
from fitter.dialects.rules import Rules
from fitter.errors import InvalidRequest, Problem
from fitter.plan import (
    DEFAULT_FIT,
    FORMAT_NAMES,
    ORIGINAL,
    Direction,
    Fit,
    Gravity,
    Mode,
    Plan,
)

ALIASES = {"w": "width", "h": "height"}
DIRECTIONS = {
    "h": Direction.HORIZONTAL,
    "horizontal": Direction.HORIZONTAL,
    "v": Direction.VERTICAL,
    "vertical": Direction.VERTICAL,
    "both": Direction.BOTH,
    "hv": Direction.BOTH,
}
FORMATS = FORMAT_NAMES
# The native modes: flip and rotate keep the size and set the Plan's flip or rotate stage.
MODES = ("thumbnail", "resize", "crop", "flip", "rotate")
SIZE_STAGES = {"thumbnail": Mode.THUMBNAIL, "resize": Mode.RESIZE, "crop": Mode.CROP}
GRAVITIES = {g.value: g for g in Gravity} | {"centre": Gravity.CENTER}


def quality(text: str) -> int:
    value = int(text) if args.DIGITS.fullmatch(text) else None
    if value is None or not 1 <= value <= 100:
        raise Invalid(f"must be a whole number from 1 to 100 (got {args.shown(text)})")
    return value


PARSERS: dict[str, Callable[[str], Any]] = {
    "path": args.source_path,
    "mode": args.choice({m: m for m in MODES}),
    "width": args.whole,
    "height": args.whole,
    "fit": args.choice({f.value: f for f in Fit}),
    "gravity": args.choice(GRAVITIES),
    "x": args.whole,
    "y": args.whole,
    "upscale": args.boolean,
    "direction": args.choice(DIRECTIONS),
    "degree": args.decimal,
    "background": args.colour,
    "format": args.choice(FORMATS),
    "quality": quality,
}
# Known but not part of the Plan: `preset` is expanded first, `sig` is checked by the server.
KNOWN = frozenset(PARSERS) | {"preset", "sig"}


def parse(items: Iterable[tuple[str, str]], rules: Rules) -> Plan:
    """A Plan from query parameters, or InvalidRequest with every problem found."""
    problems: list[Problem] = []
    raw = args.gather(items, KNOWN, problems, ALIASES)
    if rules.presets_only:
        problems.extend(presets_only_problems(raw, rules))
    if "preset" in raw:
        name = raw.pop("preset")
        preset = rules.presets.get(name)
        if preset is None:
            known = ", ".join(sorted(rules.presets)) or "none are configured"
            problems.append(Problem("preset", f"unknown preset {name[:40]!r} ({known})"))
        else:
            raw = {ALIASES.get(k, k): as_text(v) for k, v in preset.items()} | raw
    raw.pop("sig", None)
    values: dict[str, Any] = {}
    for name, text in raw.items():
        try:
            values[name] = PARSERS[name](text)
        except Invalid as error:
            problems.append(Problem(name, f"{name} {error}"))
        except InvalidRequest as error:
            problems.extend(error.problems)
    problems.extend(mode_problems(values, raw, rules))
    problems.extend(allowed_problems(values, rules))
    if problems:
        raise InvalidRequest(problems)
    return build(values, rules)


def presets_only_problems(raw: dict[str, str], rules: Rules) -> list[Problem]:
    """`options.presets_only`: a request names its source and a preset, and nothing else."""
    presets = ", ".join(sorted(rules.presets)) or "none are configured"
    problems = [
        Problem(name, f"{name[:40]} is not allowed: ask for a preset ({presets})")
        for name in raw
        if name not in ("path", "preset", "sig")
    ]
    if "preset" not in raw:
        problems.append(Problem("preset", f"preset is required ({presets})"))
    return problems


def as_text(value: object) -> str:
    """A preset's YAML value as it would be written in a query string."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def preset_problems(presets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What is wrong with configured presets, as configuration errors, checked at start."""
    found = []
    for name, values in presets.items():
        for key, value in values.items():
            where = f"options.presets.{name}.{key}"
            parser = PARSERS.get(ALIASES.get(key, key))
            if parser is None or key == "path":
                found.append(f"{where}: is not a parameter a preset can set")
                continue
            try:
                parser(as_text(value))
            except Invalid as error:
                found.append(f"{where}: {error}")
    return found


def mode_problems(values: dict[str, Any], raw: dict[str, str], rules: Rules) -> list[Problem]:
    """What each mode requires, and the output limits."""
    problems = []
    if "path" not in raw:
        problems.append(Problem("path", "path is required"))
    if "mode" in raw and "mode" not in values:
        return problems  # an unknown mode has no requirements to report
    mode = SIZE_STAGES.get(values.get("mode", "thumbnail"), Mode.KEEP)
    width, height = values.get("width", 0), values.get("height", 0)
    for name, value, most in (
        ("width", width, rules.max_size[0]),
        ("height", height, rules.max_size[1]),
    ):
        if value > most:
            problems.append(Problem(name, f"{name} {value} is over the limit of {most}"))
    malformed = {n for n in ("width", "height") if n in raw and n not in values}
    if mode.resizes and not (width or height) and not malformed:
        if "width" not in values and "height" not in values:
            problems.append(Problem("width", f"{mode} needs width or height"))
        else:
            problems.append(Problem("width", "width and height cannot both be 0"))
    if mode is Mode.CROP:
        problems.extend(
            Problem(n, f"crop needs {n} > 0")
            for n in ("width", "height")
            if not values.get(n) and n not in malformed
        )
        if ("x" in raw) != ("y" in raw):
            problems.append(Problem("y" if "x" in raw else "x", "crop needs both x and y"))
    if values.get("mode") == "flip" and "direction" not in raw:
        problems.append(Problem("direction", "flip needs direction (h, v or both)"))
    if values.get("mode") == "rotate" and "degree" not in raw:
        problems.append(Problem("degree", "rotate needs degree"))
    return problems


def allowed_problems(values: dict[str, Any], rules: Rules) -> list[Problem]:
    """`options.allowed_sizes` and `allowed_formats`: the only variants a site may ask for."""
    problems = []
    mode = SIZE_STAGES.get(values.get("mode", "thumbnail"), Mode.KEEP)
    size = (values.get("width", 0), values.get("height", 0))
    sized = mode.resizes or mode is Mode.CROP
    if rules.allowed_sizes and sized and size not in rules.allowed_sizes:
        sizes = ", ".join(f"{w}x{h}" for w, h in sorted(rules.allowed_sizes))
        problems.append(Problem("width", f"{size[0]}x{size[1]} is not an allowed size ({sizes})"))
    chosen = values.get("format", rules.default_format)
    if rules.allowed_formats and chosen not in rules.allowed_formats:
        formats = ", ".join(sorted(rules.allowed_formats))
        problems.append(Problem("format", f"format {chosen} is not allowed ({formats})"))
    return problems


def build(values: dict[str, Any], rules: Rules) -> Plan:
    """The Plan, keeping only what applies to the mode so that the key ignores the rest."""
    named = values.get("mode", "thumbnail")
    mode = SIZE_STAGES.get(named, Mode.KEEP)
    resizes = mode.resizes
    sized = resizes or mode is Mode.CROP
    return Plan(
        path=values["path"],
        mode=mode,
        width=values.get("width", 0) if sized else 0,
        height=values.get("height", 0) if sized else 0,
        fit=values.get("fit", DEFAULT_FIT.get(mode, Fit.COVER)) if resizes else Fit.COVER,
        gravity=values.get("gravity", Gravity.CENTER),
        x=values.get("x") if mode is Mode.CROP else None,
        y=values.get("y") if mode is Mode.CROP else None,
        upscale=values.get("upscale", True) if resizes else True,
        direction=values.get("direction") if named == "flip" else None,
        degree=values.get("degree", 0.0) % 360 if named == "rotate" else 0.0,
        background=values.get("background"),
        format=values.get("format", FORMATS.get(rules.default_format, ORIGINAL)),
        quality=values.get("quality"),
    )
