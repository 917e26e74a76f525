"""thumbor's `filters:` part, read into typed values: pixel filters (`fitter.plan.filters`)
in URL order, and `Options` for the filters that set the plan instead (format, quality,
focal, rotate, …).

Each filter has one entry in `SPECS`: its arguments' parsers and what it does with the
values. An unknown, unsupported or malformed filter, or an argument outside the range the
engine honours (libvips would otherwise clamp it or drop the operation without a word),
is a problem naming `filters`, never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

from fitter.dialects import args
from fitter.dialects.args import Invalid
from fitter.errors import InvalidRequest, Problem
from fitter.plan import FORMAT_NAMES, ORIGINAL, Color, Filter, RequestedFormat
from fitter.plan.filters import (
    BackgroundColor,
    Blur,
    Brightness,
    Contrast,
    Convolution,
    Equalize,
    Fill,
    FillWith,
    Grayscale,
    Noise,
    Position,
    Proportion,
    Rgb,
    RoundCorner,
    Saturation,
    Sharpen,
    Watermark,
)


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
    background: Color | None = None


WHITE: Color = (255, 255, 255, 255)
POSITION = re.compile(r"(-?)([0-9]{1,9})(p?)|center|repeat")
RADII = re.compile(r"([0-9]{1,9})(?:\|([0-9]{1,9}))?")
CELL = re.compile(r"-?[0-9]{1,9}(?:\.[0-9]{0,9})?")
FOCAL = re.compile(r"([0-9]{1,9})x([0-9]{1,9}):([0-9]{1,9})x([0-9]{1,9})")
# More than any thumbor URL uses; each filter is a pass over the pixels, and hundreds of
# them exhaust libvips.
MAX_FILTERS = 20
# convolution's kernel: at most 15 by 15.
MAX_KERNEL_SIDE = 15
PERCENT = args.within(args.integer, -100, 100)  # a shift or scale by a percentage
BYTE = args.within(args.whole, 0, 255)


def position(text: str) -> Position:
    """A watermark's x or y: pixels (negative from the far edge), `Np` percent of the
    image (at most 100: further is off the image), `center` or `repeat`."""
    found = POSITION.fullmatch(text)
    if found is None:
        raise Invalid(
            f"expects a position such as 10, -10, 20p, center or repeat (got {text!r:.40})"
        )
    if text == "center":
        return Position("center")
    if text == "repeat":
        return Position("repeat")
    sign, amount, percent = found.groups()
    if percent and int(amount) > 100:
        raise Invalid(f"expects a percentage of at most 100p (got {text})")
    return Position("percent" if percent else "pixels", int(amount), sign == "-")


def share(text: str) -> int | None:
    """A watermark's largest share of the image's side, in percent, or `none`."""
    if text == "none":
        return None
    if not (args.DIGITS.fullmatch(text) and 1 <= int(text) <= 100):
        raise Invalid(f"expects a percentage from 1 to 100 or none (got {text!r:.40})")
    return int(text)


def radii(text: str) -> tuple[int, int]:
    found = RADII.fullmatch(text)
    if found is None:
        raise Invalid(f"expects a radius or a|b (got {text!r:.40})")
    across = int(found.group(1))
    return across, int(found.group(2) or across)


def cells(text: str) -> tuple[float, ...]:
    values = text.split(";")
    if not all(CELL.fullmatch(v) for v in values):
        raise Invalid(f"expects numbers separated by ; (got {text!r:.40})")
    return tuple(float(v) for v in values)


def word(text: str) -> str:
    if not text:
        raise Invalid("expects a value")
    return text


def fill_with(text: str) -> tuple[FillWith, Color]:
    """`auto`, `blur`, or a colour as thumbor writes it (a CSS name, hex without `#`)."""
    if text == "auto":
        return "auto", WHITE
    if text == "blur":
        return "blur", WHITE
    return "colour", args.colour(text)


def focal_box(text: str) -> tuple[int, int, int, int]:
    found = FOCAL.fullmatch(text)
    if found is None:
        raise Invalid(f"expects left x top : right x bottom, such as 10x20:110x80 (got {text!r})")
    left, top, right, bottom = map(int, found.groups())
    if right <= left or bottom <= top:
        raise Invalid(f"the box {text!r} is empty")
    return left, top, right - left, bottom - top


def watermark_path(text: str) -> str:
    try:
        return args.required_path(unquote(text), "watermark image")
    except InvalidRequest as error:
        raise Invalid(error.problems[0].message) from None


Apply = Callable[[Options, Sequence[Any]], Options]


@dataclass(frozen=True)
class Spec:
    """A filter's arguments (a parser per position, the first `required` needed) and
    what it does with their values."""

    parsers: tuple[Callable[[str], Any], ...]
    required: int
    apply: Apply


def spec(*parsers: Callable[[str], Any], apply: Apply, required: int | None = None) -> Spec:
    return Spec(parsers, len(parsers) if required is None else required, apply)


def pixel(make: Callable[..., Filter]) -> Apply:
    """A pixel filter made from the values, added after the others."""
    return lambda options, values: replace(options, pixels=(*options.pixels, make(*values)))


def setting(**changes: Callable[[Sequence[Any]], Any]) -> Apply:
    """Options changed by the values (each change a function of them)."""
    return lambda options, values: replace(
        options, **{name: change(values) for name, change in changes.items()}
    )


def rotate(options: Options, values: Sequence[Any]) -> Options:
    if values[0] % 90:
        raise Invalid(f"turns by multiples of 90 only (got {values[0]})")
    return replace(options, rotate=options.rotate + values[0])


def output_format(options: Options, values: Sequence[Any]) -> Options:
    chosen = FORMAT_NAMES.get(str(values[0]).lower())
    if chosen is None or chosen == ORIGINAL:
        names = "jpeg, jpg, png, gif, webp, avif, auto"
        raise Invalid(f"expects one of {names} (got {str(values[0])[:40]!r})")
    return replace(options, format=chosen)


def fill(options: Options, values: Sequence[Any]) -> Options:
    """The box is the request's, known once the source's size is (`plan.pixel_filters`);
    a colour fill also colours what rotating or padding uncovers."""
    (how, colour), merge = values[0], bool(values[1]) if len(values) > 1 else False
    background = colour if how == "colour" else options.background
    step = Fill(fill=how, colour=colour, merge=merge)
    return replace(options, pixels=(*options.pixels, step), background=background)


def proportion(options: Options, values: Sequence[Any]) -> Options:
    if not 0 < values[0] <= 1:
        raise Invalid(f"expects a factor above 0 and at most 1 (got {values[0]})")
    return pixel(Proportion)(options, values)


def convolution(options: Options, values: Sequence[Any]) -> Options:
    numbers, columns = values[0], values[1]
    normalise = bool(values[2]) if len(values) > 2 else True
    if len(numbers) % columns:
        raise Invalid("the matrix does not fill whole rows of that many columns")
    if len(numbers) > columns * MAX_KERNEL_SIDE:
        raise Invalid(f"the matrix has more than {MAX_KERNEL_SIDE} rows")
    rows = tuple(numbers[i : i + columns] for i in range(0, len(numbers), columns))
    return pixel(Convolution)(options, (rows, normalise))


def round_corner(options: Options, values: Sequence[Any]) -> Options:
    (across, down), red, green, blue = values[:4]
    transparent = bool(values[4]) if len(values) > 4 else False
    step = RoundCorner(across, down, (red, green, blue), transparent)
    return replace(options, pixels=(*options.pixels, step))


def focal(options: Options, values: Sequence[Any]) -> Options:
    return replace(options, focal=(*options.focal, values[0]))


SPECS: dict[str, Spec] = {
    # Pixel filters, run by fitter.engine.filters in URL order.
    "grayscale": spec(apply=pixel(Grayscale)),
    "brightness": spec(PERCENT, apply=pixel(Brightness)),
    "contrast": spec(PERCENT, apply=pixel(Contrast)),
    "saturation": spec(args.within(args.decimal, 0.0, 10.0), apply=pixel(Saturation)),
    "rgb": spec(PERCENT, PERCENT, PERCENT, apply=pixel(Rgb)),
    # thumbor's largest radius is 150 (it clamps larger ones); the sigma 0 is the radius.
    "blur": spec(
        args.within(args.whole, 1, 150),
        args.within(args.decimal, 0.0, 150.0),
        apply=pixel(Blur),
        required=1,
    ),
    # libvips' sharpen radius (its sigma) stops at 10: beyond, it sharpens at its default.
    "sharpen": spec(
        args.within(args.decimal, 0.0, 10.0),
        args.within(args.decimal, 0.0, 10.0),
        args.boolean,
        apply=pixel(Sharpen),
    ),
    "noise": spec(args.within(args.whole, 0, 100), args.whole, apply=pixel(Noise), required=1),
    "equalize": spec(apply=pixel(Equalize)),
    "convolution": spec(
        cells,
        args.within(args.whole, 1, MAX_KERNEL_SIDE),
        args.boolean,
        apply=convolution,
        required=2,
    ),
    "round_corner": spec(radii, BYTE, BYTE, BYTE, args.boolean, apply=round_corner, required=4),
    "watermark": spec(
        watermark_path,
        position,
        position,
        args.within(args.whole, 0, 100),
        share,
        share,
        apply=pixel(Watermark),
        required=4,
    ),
    "background_color": spec(args.colour, apply=pixel(BackgroundColor)),
    "fill": spec(fill_with, args.boolean, apply=fill, required=1),
    "proportion": spec(args.decimal, apply=proportion),
    # Filters that set the plan instead of touching pixels.
    "format": spec(word, apply=output_format),
    "quality": spec(args.within(args.whole, 1, 100), apply=setting(quality=lambda v: v[0])),
    "max_bytes": spec(
        args.within(args.whole, 1, 999_999_999), apply=setting(max_bytes=lambda v: v[0])
    ),
    "max_age": spec(args.whole, apply=setting(max_age=lambda v: v[0])),
    "strip_icc": spec(apply=setting(keep_icc=lambda v: False)),
    "strip_exif": spec(apply=lambda options, values: options),  # fitter never keeps EXIF
    "upscale": spec(apply=setting(upscale=lambda v: True)),
    "no_upscale": spec(apply=setting(upscale=lambda v: False)),
    "stretch": spec(apply=setting(stretch=lambda v: True)),
    "focal": spec(focal_box, apply=focal),
    "rotate": spec(args.integer, apply=rotate),
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
    found, current, quoted = [], "", False
    for char in inside:
        if char == "'":
            quoted = not quoted
        if char == "," and not quoted:
            found.append(current)
            current = ""
        else:
            current += char
    found.append(current)
    found = [a.strip() for a in found]
    found = [a[1:-1] if len(a) > 1 and a[0] == a[-1] == "'" else a for a in found]
    return [] if found == [""] else found


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
        elif name in UNSUPPORTED:
            problems.append(Problem("filters", f"filter {name}: {UNSUPPORTED[name]}"))
        elif name not in SPECS:
            problems.append(Problem("filters", f"unknown filter {name!r}"))
        else:
            try:
                rule = SPECS[name]
                options = rule.apply(options, parse_args(rule, split_args(found.group(2))))
            except Invalid as error:
                problems.append(Problem("filters", f"filter {name}: {error}"))
    return options


def parse_args(rule: Spec, given: list[str]) -> tuple[Any, ...]:
    if not rule.required <= len(given) <= len(rule.parsers):
        wanted = (
            f"{rule.required}"
            if rule.required == len(rule.parsers)
            else f"{rule.required} to {len(rule.parsers)}"
        )
        raise Invalid(f"takes {wanted} arguments (got {len(given)})")
    return tuple(parse(value) for parse, value in zip(rule.parsers, given, strict=False))
