"""The IIIF Image API dialect, versions 3.0 and 2.1 at compliance level 2.

`{identifier}/{region}/{size}/{rotation}/{quality}.{format}` parses into a Plan without
knowing the source; IIIF's own rules that need its size (3.0 refuses to upscale without
`^`) and the canonical form of a request are pure functions of the numbers the server
works out from the header (`fitter.server.iiif`). `info` writes the `info.json` body.

Every problem of a request is reported at once, each naming its parameter.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import quote, unquote

from fitter.dialects.args import required_path
from fitter.errors import InvalidRequest, Problem
from fitter.plan import Direction, Fit, ImageFormat, Mode, Plan, Region, Unit
from fitter.plan.filters import Bitonal, Filter, Grayscale

Size = tuple[int, int]
Box = tuple[int, int, int, int]


class Version(StrEnum):
    """The API version, as the URL's prefix names it: `/iiif/3/…` or `/iiif/2/…`."""

    V3 = "3"
    V2 = "2"

    @property
    def context(self) -> str:
        return f"http://iiif.io/api/image/{self.value}/context.json"

    @property
    def profile(self) -> str:
        """The level 2 profile's URI (the Link header's rel="profile")."""
        return f"http://iiif.io/api/image/{self.value}/level2.json"


FORMATS = {
    "jpg": ImageFormat.JPEG,
    "png": ImageFormat.PNG,
    "webp": ImageFormat.WEBP,
    "gif": ImageFormat.GIF,
}
QUALITIES: dict[str, tuple[Filter, ...]] = {
    "default": (),
    "color": (),
    "gray": (Grayscale(),),
    "bitonal": (Bitonal(),),
}
# The corners a turn uncovers, where the format can be transparent (see `resolve`).
CLEAR = (255, 255, 255, 0)
WHOLE = r"[0-9]{1,9}"
DECIMAL = r"[0-9]{1,9}(?:\.[0-9]{1,9})?"
PIXELS = re.compile(rf"({WHOLE}),({WHOLE}),({WHOLE}),({WHOLE})")
PERCENT = re.compile(rf"pct:({DECIMAL}),({DECIMAL}),({DECIMAL}),({DECIMAL})")
SIZE = re.compile(rf"(\^)?(?:(max)|(full)|pct:({DECIMAL})|(!)?({WHOLE})?,({WHOLE})?)")
ROTATION = re.compile(rf"(!)?({DECIMAL})")


# --- the path: which request, for which identifier ------------------------------------------


@dataclass(frozen=True)
class Base:
    """`{prefix}/{identifier}`: answered with a 303 to its info.json."""

    identifier: str


@dataclass(frozen=True)
class Info:
    identifier: str


@dataclass(frozen=True)
class Image:
    identifier: str
    region: str
    size: str
    rotation: str
    quality: str


Resource = Base | Info | Image


def split_path(raw: str) -> Resource:
    """What the still percent-encoded path after the prefix asks for.

    Identifiers should encode their slashes (`a%2Fb.jpg`); one that does not is read
    leniently as everything before the last four segments (or before `info.json`), so a
    pasted `a/b.jpg/info.json` still works, and `a/b/full/max/0/default.jpg` is only a
    404 for the identifier `a/b`.
    """
    parts = raw.split("/")
    if len(parts) >= 2 and parts[-1] == "info.json":
        return Info(unquote("/".join(parts[:-1])))
    if len(parts) >= 5:
        return Image(unquote("/".join(parts[:-4])), *(unquote(p) for p in parts[-4:]))
    return Base(unquote(raw.rstrip("/")))


def source_path(identifier: str) -> str:
    """The source path an identifier names: cleaned as fitter cleans every path, so `..`
    and control characters are a 400 naming `identifier`, never a look at the disk."""
    return required_path(identifier, "identifier")


def encode_identifier(identifier: str) -> str:
    """The identifier as it is written in a URI: every `/`, `?`, `#`, `%`… encoded."""
    return quote(identifier, safe="!$&'()*+,;=")


# --- an image request -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRequest:
    """A parsed image request: a Plan still in IIIF's terms, and what its checks need.

    `plan` has the region as written and a size stage that needs only the region's size;
    `resolve` turns it into the canonical pixel-exact Plan once that size is known.
    """

    version: Version
    plan: Plan
    # `^` given (3.0), or 2.1, which may always upscale.
    upscale: bool
    # `max` (or 2.1's `full`): the largest size allowed, never an error for its size.
    largest: bool
    quality: str


def parse_image(version: Version, path: str, resource: Image) -> ImageRequest:
    """An ImageRequest, or InvalidRequest with every malformed parameter."""
    problems: list[Problem] = []
    region = _collect(problems, "region", parse_region, resource.region)
    size = _collect(problems, "size", lambda t: parse_size(version, t), resource.size)
    rotation = _collect(problems, "rotation", parse_rotation, resource.rotation)
    quality, _, extension = resource.quality.rpartition(".")
    if not quality:
        quality, extension = extension, ""
    if quality not in QUALITIES:
        names = ", ".join(QUALITIES)
        problems.append(Problem("quality", f"quality must be one of {names} (got {quality!r:.40})"))
    if extension not in FORMATS:
        names = ", ".join(FORMATS)
        what = f"format {extension!r:.40} is not supported" if extension else "format is missing"
        problems.append(Problem("format", f"{what}: use one of {names}"))
    if problems:
        raise InvalidRequest(problems)
    mode, width, height, scale, fit, upscale, largest = size
    mirror, degree = rotation
    plan = Plan(
        path=path,
        region=region,
        mode=mode,
        width=width,
        height=height,
        scale=scale,
        fit=fit,
        # Only `max` relies on the engine's cap; every other size is checked against the
        # region by `size_problems` once the region's size is known.
        upscale=upscale if largest else True,
        direction=Direction.HORIZONTAL if mirror else None,
        degree=degree % 360,
        filters=QUALITIES[quality],
        format=FORMATS[extension],
    )
    return ImageRequest(version, plan, upscale, largest, quality)


def _collect(problems: list[Problem], name: str, parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except ValueError as error:
        problems.append(Problem(name, f"{name} {error} (got {text!r:.40})"))
        return None


def parse_region(text: str) -> Region | None:
    """`full` (None: the whole image), `square`, `x,y,w,h` or `pct:x,y,w,h`."""
    if text == "full":
        return None
    if text == "square":
        return Region(Unit.SQUARE)
    pixels = PIXELS.fullmatch(text)
    found = pixels or PERCENT.fullmatch(text)
    if found is None:
        raise ValueError("must be full, square, x,y,w,h or pct:x,y,w,h")
    left, top, width, height = (float(v) for v in found.groups())
    if not (width and height):
        raise ValueError("must have a width and height above 0")
    return Region(Unit.PIXELS if pixels else Unit.PERCENT, left, top, width, height)


SizeStage = tuple[Mode, int, int, float, Fit, bool, bool]


def parse_size(version: Version, text: str) -> SizeStage:
    """(mode, width, height, scale, fit, upscale, largest) for a size parameter.

    3.0: `max`, `w,`, `,h`, `pct:n`, `w,h`, `!w,h`, each with an optional `^` that allows
    upscaling. 2.1: `full` (the same as `max` here), `max`, and the rest without `^`.
    `max` fits the region inside the size limits (`maxWidth`/`maxHeight`).
    """
    found = SIZE.fullmatch(text)
    forms = "max, w,, ,h, pct:n, w,h or !w,h" + (
        ", each optionally after ^" if version is Version.V3 else " or full"
    )
    if found is None:
        raise ValueError(f"must be {forms}")
    caret, largest, full, percent, confined, width, height = found.groups()
    if caret and version is Version.V2:
        raise ValueError("may not start with ^ in version 2 (it may always upscale)")
    if full and version is Version.V3:
        raise ValueError("full is max in version 3")
    upscale = bool(caret) or version is Version.V2
    if largest or full:
        # The box is filled in by the server from its limits; see `with_limits`.
        return Mode.RESIZE, 0, 0, 0.0, Fit.INSIDE, bool(caret), True
    if percent is not None:
        scale = float(percent) / 100
        if scale <= 0:
            raise ValueError("pct:n must be above 0")
        return Mode.RESIZE, 0, 0, scale, Fit.FILL, upscale, False
    w, h = int(width or 0), int(height or 0)
    if (width is None and height is None) or (confined and not (w and h)):
        raise ValueError(f"must be {forms}")
    if (width is not None and not w) or (height is not None and not h):
        raise ValueError("width and height must be above 0")
    return Mode.RESIZE, w, h, 0.0, Fit.INSIDE if confined else Fit.FILL, upscale, False


def parse_rotation(text: str) -> tuple[bool, float]:
    """(mirror, clockwise degrees): `n` or `!n`, n from 0 to 360."""
    found = ROTATION.fullmatch(text)
    if found is None:
        raise ValueError("must be a number from 0 to 360, optionally after ! to mirror")
    degree = float(found.group(2))
    if degree > 360:
        raise ValueError("must be from 0 to 360")
    return bool(found.group(1)), degree


def with_limits(request: ImageRequest, limit: Size) -> ImageRequest:
    """`max` is the region fitted inside the limits (and only `^max` may grow to them)."""
    if not request.largest:
        return request
    plan = replace(request.plan, width=limit[0], height=limit[1])
    return replace(request, plan=plan)


def size_problems(request: ImageRequest, region: Size, size: Size) -> list[Problem]:
    """3.0 refuses a size larger than the region unless `^` allows it.

    `!w,h` counts too when its box would scale the region up: the validator's
    `size_noup` asks for a 400 there, while the spec's wording would also allow answering
    the region's own size; fitter follows the validator, as Cantaloupe and IIPImage do.
    """
    if request.version is Version.V2 or request.upscale or request.largest:
        return []
    if size[0] <= region[0] and size[1] <= region[1]:
        return []
    return [
        Problem(
            "size",
            f"size {size[0]}x{size[1]} is larger than the region ({region[0]}x{region[1]}): "
            "write ^ before the size to upscale",
        )
    ]


def resolve(request: ImageRequest, source: Size, box: Box, size: Size) -> Plan:
    """The pixel-exact Plan: every spelling of one request gives one Plan and one key."""
    whole = box == (0, 0, *source)
    region = None if whole else Region(Unit.PIXELS, *box)
    kept = size == (box[2], box[3])
    plan = request.plan
    # The corners a turn uncovers are transparent where the format can say so, opaque
    # sources too (fitter's default fill is transparent only for images with alpha).
    clear = plan.degree % 90 and ImageFormat(plan.format).has_alpha
    return replace(
        plan,
        background=CLEAR if clear else plan.background,
        region=region,
        mode=Mode.KEEP if kept else Mode.RESIZE,
        width=0 if kept else size[0],
        height=0 if kept else size[1],
        scale=0.0,
        fit=Fit.COVER if kept else Fit.FILL,
        upscale=True,
    )


def canonical_path(request: ImageRequest, source: Size, box: Box, size: Size, largest: Size) -> str:
    """`{region}/{size}/{rotation}/{quality}.{format}` in the spec's canonical form.

    `largest` is what `max` gives for this region: 3.0 writes `max` for it and `w,h`
    otherwise; 2.1 writes `full` for the region's own size, `w,` when the height follows
    from the width, else `w,h`.
    """
    region = "full" if box == (0, 0, *source) else ",".join(str(v) for v in box)
    if request.version is Version.V3:
        # 3.0 writes `^` for any size above the region's, `^max` included.
        caret = "^" if size[0] > box[2] or size[1] > box[3] else ""
        size_text = caret + ("max" if size == largest else f"{size[0]},{size[1]}")
    elif size == (box[2], box[3]):
        size_text = "full"
    elif math.floor(box[3] * size[0] / box[2] + 0.5) == size[1]:
        size_text = f"{size[0]},"
    else:
        size_text = f"{size[0]},{size[1]}"
    plan = request.plan
    degree = f"{plan.degree:g}" if plan.degree % 1 else str(int(plan.degree))
    rotation = ("!" if plan.direction else "") + degree
    extension = ImageFormat(plan.format).extension
    return f"{region}/{size_text}/{rotation}/{request.quality}.{extension}"
