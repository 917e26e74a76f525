"""thumbor's `filters:` part: each filter's argument spec, and the parsing of the part
into `Options`.

Pixel filters are only checked and passed on in URL order (fitter.engine.filters runs
them); the others (format, quality, focal, rotate, …) set the plan. An unknown,
unsupported or malformed filter, or an argument outside the range the engine honours
(libvips would otherwise clamp it or drop the operation without a word), is a problem
naming `filters`, never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import unquote

from fitter.colors import parse_color
from fitter.dialects.native import FORMATS, Invalid, parse_source_path
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
POSITION = re.compile(r"(-?)([0-9]{1,9})(p?)|center|repeat")
RADIUS = re.compile(r"[0-9]{1,9}(?:\|[0-9]{1,9})?")
MATRIX = re.compile(r"-?[0-9]{1,9}(?:\.[0-9]{0,9})?(?:;-?[0-9]{1,9}(?:\.[0-9]{0,9})?)*")
FOCAL = re.compile(r"([0-9]{1,9})x([0-9]{1,9}):([0-9]{1,9})x([0-9]{1,9})")
# More than any thumbor URL uses; each filter is a pass over the pixels, and hundreds of
# them exhaust libvips.
MAX_FILTERS = 20
# convolution's kernel: at most 15 by 15.
MAX_KERNEL_SIDE = 15


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


def within(parse: Callable[[str], float], low: float, high: float) -> Callable[[str], float]:
    """`parse`, refusing a value outside low..high (both included)."""

    def parse_within(text: str) -> float:
        value = parse(text)
        if not low <= value <= high:
            raise Invalid(f"expects {low} to {high} (got {text[:40]})")
        return value

    return parse_within


def position(text: str) -> str:
    """A watermark's x or y: pixels (negative from the far edge), `Np` percent of the
    image (at most 100: further is off the image), `center` or `repeat`."""
    found = POSITION.fullmatch(text)
    if found is None:
        raise Invalid(
            f"expects a position such as 10, -10, 20p, center or repeat (got {text[:40]!r})"
        )
    if found.group(3) and int(found.group(2)) > 100:
        raise Invalid(f"expects a percentage of at most 100p (got {text})")
    return text


def ratio(text: str) -> str:
    """A watermark's largest share of the image's side, in percent, or `none`."""
    if text != "none" and not (POSITIVE.fullmatch(text) and 1 <= int(text) <= 100):
        raise Invalid(f"expects a percentage from 1 to 100 or none (got {text[:40]!r})")
    return text


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


PERCENT = within(integer, -100, 100)  # a shift or scale by a percentage of full scale
BYTE = within(positive, 0, 255)
SPECS: dict[str, Spec] = {
    # Pixel filters, run by fitter.engine.filters in URL order.
    "grayscale": spec(),
    "brightness": spec(PERCENT),
    "contrast": spec(PERCENT),
    "saturation": spec(within(decimal, 0, 10)),
    "rgb": spec(PERCENT, PERCENT, PERCENT),
    # thumbor's largest radius is 150 (it clamps larger ones); the sigma 0 is the radius.
    "blur": spec(within(positive, 1, 150), within(decimal, 0, 150), required=1),
    # libvips' sharpen radius (its sigma) stops at 10: beyond, it sharpens at its default.
    "sharpen": spec(within(decimal, 0, 10), within(decimal, 0, 10), boolean),
    "noise": spec(within(positive, 0, 100), positive, required=1),
    "equalize": spec(),
    "convolution": spec(
        matching(MATRIX, "numbers separated by ;"),
        within(positive, 1, MAX_KERNEL_SIDE),
        boolean,
        required=2,
    ),
    "round_corner": spec(
        matching(RADIUS, "a radius or a|b"), BYTE, BYTE, BYTE, boolean, required=4
    ),
    "watermark": spec(text, position, position, within(positive, 0, 100), ratio, ratio, required=4),
    "background_color": spec(colour_word),
    "fill": spec(fill_word, boolean, required=1),
    "proportion": spec(decimal),
    # Filters that set the plan instead of touching pixels.
    "format": spec(text),
    "quality": spec(within(positive, 1, 100)),
    "max_bytes": spec(within(positive, 1, 999_999_999)),
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
    pieces = split_filters(text)
    if len(pieces) > MAX_FILTERS:
        problems.append(
            Problem("filters", f"at most {MAX_FILTERS} filters in one URL (got {len(pieces)})")
        )
        return options
    for piece in pieces:
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
        return replace(options, quality=int(args[0]))
    if name == "max_bytes":
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
    if name == "watermark":
        args = (watermark_path(str(args[0])), *args[1:])
    if name == "convolution":
        cells = len(str(args[0]).split(";"))
        if cells % int(args[1]):
            raise Invalid("the matrix does not fill whole rows of that many columns")
        if cells > int(args[1]) * MAX_KERNEL_SIDE:
            raise Invalid(f"the matrix has more than {MAX_KERNEL_SIDE} rows")
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
        return parse_source_path(unquote(value), "watermark image")
    except InvalidRequest as error:
        raise Invalid(error.problems[0].message) from None
