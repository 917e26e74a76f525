"""The thumbor URL grammar: one regex for the options in thumbor's fixed order, read into
a `ThumborUrl` without touching any storage.

Every part is checked here, so that a malformed URL is one 400 listing all its faults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from fitter.dialects.args import required_path
from fitter.dialects.thumbor.filters import Options, parse_filters
from fitter.dialects.thumbor.signing import split_signature
from fitter.errors import InvalidRequest, Problem
from fitter.plan import Corner, Trim

ORIG = -1  # a side written `orig`: the source's own

OPTIONS = re.compile(
    r"(?:(?P<debug>debug)/)?"
    r"(?:(?P<meta>meta)/)?"
    r"(?:(?P<trim>trim(?::(?:top-left|bottom-right))?(?::[0-9]{1,9})?)/)?"
    r"(?:(?P<crop>[0-9]{1,9}x[0-9]{1,9}:[0-9]{1,9}x[0-9]{1,9})/)?"
    r"(?:(?P<fit>(?:adaptive-)?(?:full-)?fit-in)/)?"
    r"(?:(?P<hflip>-)?(?P<width>[0-9]{1,9}|orig)?x(?P<vflip>-)?(?P<height>[0-9]{1,9}|orig)?/)?"
    r"(?:(?P<halign>left|right|center)/)?"
    r"(?:(?P<valign>top|bottom|middle)/)?"
    r"(?:(?P<smart>smart)/)?"
    r"(?:filters:(?P<filters>.+?\))/)?"
    r"(?P<image>.+)",
    re.DOTALL,
)
# Numbers are at most 9 digits (Python's int() refuses more than 4300): a longer one does
# not match, so its segment is read as part of the image path, like any unknown segment.
MAX_SIDE = 99_999
# Longer than any real thumbor URL (an encoded remote URL and a few filters), short
# enough that no part of it can make the pixel work unbounded.
MAX_URL = 8192


@dataclass(frozen=True)
class ThumborUrl:
    """One thumbor URL, read but not yet tied to a source."""

    path: str
    signature: str | None = None  # None: an `unsafe` URL
    meta: bool = False
    trim: Trim | None = None
    crop: tuple[int, int, int, int] | None = None  # left, top, right, bottom
    fit_in: bool = False
    full: bool = False
    adaptive: bool = False
    width: int = 0  # ORIG for `orig`
    height: int = 0
    flip_h: bool = False
    flip_v: bool = False
    halign: str = "center"
    valign: str = "middle"
    smart: bool = False
    options: Options = field(default_factory=lambda: Options())


def parse(text: str, decoded: bool = False) -> ThumborUrl:
    """A thumbor URL (without the prefix) or InvalidRequest.

    `text` is as sent, percent-encoded, unless `decoded`: then it is the percent-decoded
    form a signature covered, read as it is and not decoded again.
    """
    if len(text) > MAX_URL:
        raise InvalidRequest.one("url", f"the URL is longer than {MAX_URL} characters")
    signature, rest = split_signature(text)
    found = OPTIONS.match(rest)
    if found is None:
        raise InvalidRequest.one("path", "the URL names no image")
    parts = found.groupdict()
    decode = (lambda part: part) if decoded else unquote
    problems: list[Problem] = []
    if parts["debug"]:
        problems.append(Problem("debug", "debug/ (drawing focal points) is not supported"))
    try:
        path = required_path(decode(parts["image"]))
    except InvalidRequest as error:
        problems.extend(error.problems)
        path = ""
    width, height = side(parts["width"]), side(parts["height"])
    for name, value in (("width", width), ("height", height)):
        if value > MAX_SIDE:
            problems.append(Problem(name, f"{name} {value} is too large"))
    crop = None
    if parts["crop"]:
        left, top, right, bottom = map(int, re.split("[x:]", parts["crop"]))
        if (left, top, right, bottom) != (0, 0, 0, 0):
            if right <= left or bottom <= top:
                problems.append(
                    Problem("crop", f"crop {parts['crop']} is empty: it is left,top:right,bottom")
                )
            crop = (left, top, right, bottom)
    fit = parts["fit"] or ""
    options = Options()
    if parts["filters"]:
        options = parse_filters(decode(parts["filters"]), problems)
    if problems:
        raise InvalidRequest(problems)
    return ThumborUrl(
        path=path,
        signature=signature,
        meta=bool(parts["meta"]),
        trim=parse_trim(parts["trim"]),
        crop=crop,
        fit_in=bool(fit),
        full="full-" in fit,
        adaptive=fit.startswith("adaptive-"),
        width=width,
        height=height,
        flip_h=bool(parts["hflip"]),
        flip_v=bool(parts["vflip"]),
        halign=parts["halign"] or "center",
        valign=parts["valign"] or "middle",
        smart=bool(parts["smart"]),
        options=options,
    )


def side(text: str | None) -> int:
    return ORIG if text == "orig" else int(text or 0)


def parse_trim(text: str | None) -> Trim | None:
    """`trim`, `trim:bottom-right`, `trim:bottom-right:10`, and `trim:10` (a tolerance:
    thumbor reads that one as a corner named "10", and so trims with no tolerance)."""
    if text is None:
        return None
    corner, tolerance = Corner.TOP_LEFT, 0
    for part in text.split(":")[1:]:
        if part.isdigit():
            tolerance = int(part)
        else:
            corner = Corner(part)
    return Trim(corner, min(tolerance, 442))
