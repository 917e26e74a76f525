"""thumbor's `filters:` part: each filter's argument spec, and the parsing of the part
into `Options`.

Pixel filters are only checked and passed on in URL order (fitter.engine.filters runs
them); the others (format, quality, focal, rotate, …) set the plan. An unknown,
unsupported or malformed filter is a problem naming `filters`, never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import unquote

from fitter.colors import parse_color
from fitter.dialects.native import FORMATS, Invalid, source_path
from fitter.errors import InvalidRequest, Problem
from fitter.plan import ORIGINAL, Filter, FilterArg, RequestedFormat


@dataclass(frozen=True)
class Options:
    """What the filters set, apart from the pixel filters themselves."""

    pixels: tuple[Filter, ...] = ()
    format: RequestedFormat | None = None
    quality: int | None = None
    max_bytes: int | None = None
    max_age: int | None = None
    keep_icc: bool = True
    upscale: bool | None = None
    stretch: bool = False
    focal: tuple[tuple[int, int, int, int], ...] = ()  # boxes as left, top, width, height
    rotate: int = 0  # thumbor's counter-clockwise degrees
    background: tuple[int, int, int, int] | None = None


INTEGER = re.compile(r"-?[0-9]{1,9}")
POSITIVE = re.compile(r"[0-9]{1,9}")
DECIMAL = re.compile(r"-?(?:[0-9]{1,9}(?:\.[0-9]{0,9})?|\.[0-9]{1,9})")
BOOLEAN = {"true": 1, "True": 1, "1": 1, "false": 0, "False": 0, "0": 0}
POSITION = re.compile(r"-?[0-9]{1,9}p?|center|repeat")
RATIO = re.compile(r"-?[0-9]{1,9}|none")
RADIUS = re.compile(r"[0-9]{1,9}(?:\|[0-9]{1,9})?")
MATRIX = re.compile(r"-?[0-9]{1,9}(?:\.[0-9]*)?(?:;-?[0-9]{1,9}(?:\.[0-9]*)?)*")
FOCAL = re.compile(r"([0-9]{1,9})x([0-9]{1,9}):([0-9]{1,9})x([0-9]{1,9})")


def integer(text: str) -> int:
    if not INTEGER.fullmatch(text):
        raise Invalid(f"expects a whole number (got {text[:40]!r})")
    return int(text)


def positive(text: str) -> int:
    if not POSITIVE.fullmatch(text):
        raise Invalid(f"expects a whole number ≥ 0 (got {text[:40]!r})")
    return int(text)


def decimal(text: str) -> float:
    if not DECIMAL.fullmatch(text):
        raise Invalid(f"expects a number such as 1.5 (got {text[:40]!r})")
    return float(text)


def boolean(text: str) -> int:
    if text not in BOOLEAN:
        raise Invalid(f"expects true or false (got {text[:40]!r})")
    return BOOLEAN[text]


def matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def parse_text(text: str) -> str:
        if not pattern.fullmatch(text):
            raise Invalid(f"expects {what} (got {text[:40]!r})")
        return text

    return parse_text


def text(value: str) -> str:
    if not value:
        raise Invalid("expects a value")
    return value


def colour_word(value: str) -> str:
    """A fill colour as thumbor writes it: a CSS name, hex without `#`, or transparent;
    as `rrggbbaa`."""
    try:
        return bytes(parse_color(value)).hex()
    except ValueError:
        raise Invalid(
            f"expects a colour name, hex digits or transparent (got {value[:40]!r})"
        ) from None


def fill_word(value: str) -> str:
    return value if value in ("auto", "blur") else colour_word(value)


@dataclass(frozen=True)
class Spec:
    """A filter's arguments: a parser per position, the first `required` of them needed."""

    parsers: tuple[Callable[[str], FilterArg], ...]
    required: int


def spec(*parsers: Callable[[str], FilterArg], required: int | None = None) -> Spec:
    return Spec(parsers, len(parsers) if required is None else required)


SPECS: dict[str, Spec] = {
    # Pixel filters, run by fitter.engine.filters in URL order.
    "grayscale": spec(),
    "brightness": spec(integer),
    "contrast": spec(integer),
    "saturation": spec(decimal),
    "rgb": spec(integer, integer, integer),
    "blur": spec(matching(re.compile(r"0*[1-9][0-9]{0,8}"), "a radius ≥ 1"), decimal, required=1),
    "sharpen": spec(decimal, decimal, boolean),
    "noise": spec(positive, positive, required=1),
    "equalize": spec(),
    "convolution": spec(
        matching(MATRIX, "numbers separated by ;"),
        matching(re.compile(r"0*[1-9][0-9]{0,8}"), "a column count ≥ 1"),
        boolean,
        required=2,
    ),
    "round_corner": spec(
        matching(RADIUS, "a radius or a|b"), positive, positive, positive, boolean, required=4
    ),
    "watermark": spec(
        text,
        matching(POSITION, "a position"),
        matching(POSITION, "a position"),
        positive,
        matching(RATIO, "a percentage or none"),
        matching(RATIO, "a percentage or none"),
        required=4,
    ),
    "background_color": spec(colour_word),
    "fill": spec(fill_word, boolean, required=1),
    "proportion": spec(decimal),
    # Filters that set the plan instead of touching pixels.
    "format": spec(text),
    "quality": spec(positive),
    "max_bytes": spec(positive),
    "max_age": spec(positive),
    "strip_icc": spec(),
    "strip_exif": spec(),
    "upscale": spec(),
    "no_upscale": spec(),
    "stretch": spec(),
    "focal": spec(text),
    "rotate": spec(integer),
}
UNSUPPORTED = {
    "autojpg": "choose the output with format() instead",
    "colorize": "not available in fitter",
    "curve": "not available in fitter",
    "frame": "nine-patch frames are not available in fitter",
    "extract_focal": "give the focal point with focal() instead",
    "cover": "not available in fitter",
    "redeye": "needs a face model, which fitter does not ship",
}


def split_filters(text: str) -> list[str]:
    """`a(1):b(2,3)` into `a(1)` and `b(2,3)`, cutting at `):` as thumbor does."""
    pieces = text.split("):")
    return [p + ")" for p in pieces[:-1]] + pieces[-1:]


def split_args(inside: str) -> list[str]:
    """Comma-separated arguments; a `'quoted'` argument may hold commas."""
    args, current, quoted = [], "", False
    for char in inside:
        if char == "'":
            quoted = not quoted
        if char == "," and not quoted:
            args.append(current)
            current = ""
        else:
            current += char
    args.append(current)
    args = [a.strip() for a in args]
    args = [a[1:-1] if len(a) > 1 and a[0] == a[-1] == "'" else a for a in args]
    return [] if args == [""] else args


def parse_filters(text: str, problems: list[Problem]) -> Options:
    options = Options()
    for piece in split_filters(text):
        found = re.fullmatch(r"([a-z_]+)\((.*)\)", piece, re.DOTALL)
        name = found.group(1) if found else piece.split("(", 1)[0][:40]
        if found is None:
            problems.append(Problem("filters", f"filter {piece[:40]!r} is not name(arguments)"))
            continue
        if name in UNSUPPORTED:
            problems.append(Problem("filters", f"filter {name}: {UNSUPPORTED[name]}"))
            continue
        if name not in SPECS:
            problems.append(Problem("filters", f"unknown filter {name!r}"))
            continue
        try:
            args = parse_args(SPECS[name], split_args(found.group(2)))
            options = apply_filter(options, name, args)
        except Invalid as error:
            problems.append(Problem("filters", f"filter {name}: {error}"))
    return options


def parse_args(rule: Spec, given: list[str]) -> tuple[FilterArg, ...]:
    if not rule.required <= len(given) <= len(rule.parsers):
        wanted = (
            f"{rule.required}"
            if rule.required == len(rule.parsers)
            else f"{rule.required} to {len(rule.parsers)}"
        )
        raise Invalid(f"takes {wanted} arguments (got {len(given)})")
    return tuple(parse(value) for parse, value in zip(rule.parsers, given, strict=False))


def apply_filter(options: Options, name: str, args: tuple[FilterArg, ...]) -> Options:
    """The options with one filter's effect added; Invalid when its values are out of range."""
    if name == "rotate":
        if int(args[0]) % 90:
            raise Invalid(f"turns by multiples of 90 only (got {args[0]})")
        return replace(options, rotate=options.rotate + int(args[0]))
    if name == "format":
        chosen = FORMATS.get(str(args[0]).lower())
        if chosen in (None, ORIGINAL):
            names = "jpeg, jpg, png, gif, webp, avif, auto"
            raise Invalid(f"expects one of {names} (got {str(args[0])[:40]!r})")
        return replace(options, format=chosen)
    if name == "quality":
        if not 1 <= int(args[0]) <= 100:
            raise Invalid(f"expects 1 to 100 (got {args[0]})")
        return replace(options, quality=int(args[0]))
    if name == "max_bytes":
        if int(args[0]) < 1:
            raise Invalid("expects at least 1 byte")
        return replace(options, max_bytes=int(args[0]))
    if name == "max_age":
        return replace(options, max_age=int(args[0]))
    if name == "strip_icc":
        return replace(options, keep_icc=False)
    if name == "strip_exif":
        return options  # fitter never keeps EXIF
    if name in ("upscale", "no_upscale"):
        return replace(options, upscale=name == "upscale")
    if name == "stretch":
        return replace(options, stretch=True)
    if name == "focal":
        return replace(options, focal=(*options.focal, focal_box(str(args[0]))))
    if name == "fill":
        # The box is the request's, known once the source's size is: see pixel_filters.
        colour, merge = str(args[0]), int(args[1]) if len(args) > 1 else 0
        background = options.background
        if colour not in ("auto", "blur"):
            background = tuple(bytes.fromhex(colour))  # type: ignore[assignment]
        fill = Filter("fill", (colour, 0, 0, merge))
        return replace(options, pixels=(*options.pixels, fill), background=background)
    if name == "proportion" and not 0 < float(args[0]) <= 1:
        raise Invalid(f"expects a factor above 0 and at most 1 (got {args[0]})")
    if name == "blur":
        args = (min(int(args[0]), 150), *args[1:])
    if name == "round_corner":
        args = (args[0], *(min(int(a), 255) for a in args[1:4]), *args[4:])
    if name == "watermark":
        args = (watermark_path(str(args[0])), *args[1:])
        if int(args[3]) > 100:
            raise Invalid(f"transparency is 0 to 100 (got {args[3]})")
    if name == "convolution":
        if len(str(args[0]).split(";")) % int(args[1]):
            raise Invalid("the matrix does not fill whole rows of that many columns")
        args = (*args[:2], args[2] if len(args) > 2 else 1)
    return replace(options, pixels=(*options.pixels, Filter(name, args)))


def focal_box(value: str) -> tuple[int, int, int, int]:
    found = FOCAL.fullmatch(value)
    if found is None:
        raise Invalid(f"expects left x top : right x bottom, such as 10x20:110x80 (got {value!r})")
    left, top, right, bottom = map(int, found.groups())
    if right <= left or bottom <= top:
        raise Invalid(f"the box {value!r} is empty")
    return left, top, right - left, bottom - top


def watermark_path(value: str) -> str:
    try:
        return source_path(unquote(value))
    except Invalid as error:
        raise Invalid(f"watermark image {error}") from None
    except InvalidRequest as error:
        raise Invalid(error.problems[0].message.replace("path", "watermark image")) from None
