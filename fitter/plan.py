"""The Plan: one frozen, validated description of a transformation.

Every URL grammar parses into a Plan and nothing downstream knows which grammar was
used. A Plan still says `original` or `auto` for its format; `resolve_output` turns that
into a concrete format once the source's header and the client's `Accept` are known, and
`variant_key` hashes the canonical form of both with the source's version, so two
requests that mean the same thing share one variant and two that differ never do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum

from fitter.accept import media_weights
from fitter.models import SourceInfo

Color = tuple[int, int, int, int]


class Mode(StrEnum):
    """What the size stage does: scale into a box, cut a box out, or keep the size."""

    THUMBNAIL = "thumbnail"
    RESIZE = "resize"
    CROP = "crop"
    KEEP = "keep"

    @property
    def resizes(self) -> bool:
        """thumbnail and resize are one operation; only their default fit differs."""
        return self in (Mode.THUMBNAIL, Mode.RESIZE)


class Unit(StrEnum):
    PIXELS = "px"
    PERCENT = "pct"
    SQUARE = "square"


@dataclass(frozen=True)
class Region:
    """The part of the upright source every later stage works on.

    In pixels or in percent of the source, or the largest centred square; the dialect
    does not know the source's size, so the box is only worked out against its header.
    """

    unit: Unit
    left: float = 0.0
    top: float = 0.0
    width: float = 0.0
    height: float = 0.0

    def canonical(self) -> str:
        if self.unit is Unit.SQUARE:
            return "square"
        numbers = ",".join(_number(v) for v in (self.left, self.top, self.width, self.height))
        return f"{self.unit}:{numbers}"


class Corner(StrEnum):
    TOP_LEFT = "top-left"
    BOTTOM_RIGHT = "bottom-right"


@dataclass(frozen=True)
class Trim:
    """Cut away the border that has the colour of one corner (within a tolerance)."""

    corner: Corner = Corner.TOP_LEFT
    tolerance: int = 0


FilterArg = int | float | str
# Filters whose first argument is the path of another source.
SOURCE_FILTERS = {"watermark"}


@dataclass(frozen=True)
class Filter:
    """One pixel operation after the size stage, such as `brightness(10)`.

    The engine has one function per name (`fitter.engine.filters`); dialects only check
    the arguments' shape, so the same filter means the same thing in every grammar.
    """

    name: str
    args: tuple[FilterArg, ...] = ()

    def canonical(self) -> str:
        # Text is quoted, so that an argument holding a comma reads as one argument.
        text = ",".join(
            _number(a) if isinstance(a, int | float) else json.dumps(a) for a in self.args
        )
        return f"{self.name}({text})"


class Fit(StrEnum):
    COVER = "cover"
    CONTAIN = "contain"
    FILL = "fill"
    INSIDE = "inside"
    OUTSIDE = "outside"


class Gravity(StrEnum):
    CENTER = "center"
    NORTH = "north"
    SOUTH = "south"
    EAST = "east"
    WEST = "west"
    NORTHEAST = "northeast"
    NORTHWEST = "northwest"
    SOUTHEAST = "southeast"
    SOUTHWEST = "southwest"
    SMART = "smart"
    ENTROPY = "entropy"


class Direction(StrEnum):
    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"
    BOTH = "both"


class ImageFormat(StrEnum):
    """A format fitter can write."""

    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    AVIF = "avif"
    GIF = "gif"

    @property
    def extension(self) -> str:
        return "jpg" if self is ImageFormat.JPEG else self.value

    @property
    def media_type(self) -> str:
        return f"image/{self.value}"

    @property
    def has_quality(self) -> bool:
        return self in QUALITY_DEFAULTS

    @property
    def can_animate(self) -> bool:
        return self in (ImageFormat.GIF, ImageFormat.WEBP)

    @property
    def has_alpha(self) -> bool:
        return self is not ImageFormat.JPEG


ORIGINAL = "original"
AUTO = "auto"
RequestedFormat = ImageFormat | str  # an ImageFormat, ORIGINAL or AUTO

QUALITY_DEFAULTS = {ImageFormat.JPEG: 80, ImageFormat.WEBP: 80, ImageFormat.AVIF: 50}

# The default fit is the only difference between the seed's two resizing modes.
DEFAULT_FIT = {Mode.THUMBNAIL: Fit.COVER, Mode.RESIZE: Fit.FILL}


@dataclass(frozen=True)
class Plan:
    """Stages in a fixed order: trim, region, size, flip, rotate, filters, then output.

    Every stage but the size stage is optional; a dialect sets the ones its URL asks for.
    """

    path: str
    trim: Trim | None = None
    region: Region | None = None
    mode: Mode = Mode.THUMBNAIL
    width: int = 0
    height: int = 0
    # For a resize with neither side given: the box is the region's size times `scale`.
    scale: float = 0.0
    fit: Fit = Fit.COVER
    gravity: Gravity = Gravity.CENTER
    # The point a cover crop centres on, in the upright source's pixels (thumbor's focal).
    focus: tuple[float, float] | None = None
    x: int | None = None
    y: int | None = None
    upscale: bool = True
    direction: Direction | None = None
    degree: float = 0.0
    filters: tuple[Filter, ...] = ()
    background: Color | None = None
    format: RequestedFormat = ORIGINAL
    quality: int | None = None
    # Lower the quality until the answer fits, as thumbor's max_bytes filter does.
    max_bytes: int | None = None
    keep_icc: bool = True
    # Cache-Control for this answer only; not part of the key (the pixels are the same).
    max_age: int | None = None

    def extra_paths(self) -> tuple[str, ...]:
        """Other sources the filters read (a watermark's image), loaded with the original."""
        return tuple(str(f.args[0]) for f in self.filters if f.name in SOURCE_FILTERS)

    def operations(self) -> str:
        """The canonical text of what this plan does to the pixels.

        Only what changes the result is written, and always in the same order and
        spelling, so equivalent spellings of a request give one string.
        """
        stages = []
        if self.trim is not None:
            stages.append(f"trim:{self.trim.corner},{self.trim.tolerance}")
        if self.region is not None:
            stages.append(f"region:{self.region.canonical()}")
        stages.append(self._size_stage())
        if self.direction is not None:
            stages.append(f"flip:{self.direction}")
        if self.degree % 360:
            stages.append(f"rotate:{_number(self.degree % 360)}")
        stages.extend(f.canonical() for f in self.filters)
        if self.background is not None:
            stages.append("bg=" + bytes(self.background).hex())
        return "|".join(stages)

    def _size_stage(self) -> str:
        if self.mode.resizes:
            # With one side derived from the aspect ratio every fit gives the same size but
            # for a capped `contain`, and gravity only places the image for crops and pads.
            fit: str = self.fit
            if not (self.width and self.height):
                fit = Fit.CONTAIN if fit is Fit.CONTAIN and not self.upscale else "any"
            where = ""
            if fit in (Fit.COVER, Fit.CONTAIN):
                where = f",gravity={self.gravity}"
                if self.focus is not None and fit is Fit.COVER:
                    where = ",focus=" + ",".join(_number(v) for v in self.focus)
            size = f"{self.width}x{self.height}"
            if not (self.width or self.height):
                size = f"x{_number(self.scale)}"
            return f"resize:{size},fit={fit}{where},up={int(self.upscale)}"
        if self.mode is Mode.CROP:
            where = f"at={self.x},{self.y}" if self.x is not None else f"gravity={self.gravity}"
            return f"crop:{self.width}x{self.height},{where}"
        return "keep"


@dataclass(frozen=True)
class Output:
    """The concrete encoding of one variant."""

    format: ImageFormat
    quality: int | None
    keep_icc: bool = True
    max_bytes: int | None = None

    def canonical(self) -> str:
        text = f"{self.format}" if self.quality is None else f"{self.format},q={self.quality}"
        if not self.keep_icc:
            text += ",strip_icc"
        if self.max_bytes is not None:
            text += f",max_bytes={self.max_bytes}"
        return text


WRITABLE = {f.value for f in ImageFormat}
# Multi-frame TIFF or HEIC files are pages, not animations: they fall back to a still image.
ANIMATED_FORMATS = {"gif", "webp"}


def resolve_output(plan: Plan, info: SourceInfo, accept: str | None) -> Output:
    """Decide the format and quality of the answer from the plan, source and client."""
    if plan.format == AUTO:
        fmt = negotiate(accept or "", info)
    elif plan.format == ORIGINAL:
        fmt = fallback_format(info) if info.format not in WRITABLE else ImageFormat(info.format)
    else:
        fmt = ImageFormat(plan.format)
    quality = (plan.quality or QUALITY_DEFAULTS[fmt]) if fmt.has_quality else None
    return Output(fmt, quality, keep_icc=plan.keep_icc, max_bytes=plan.max_bytes)


def fallback_format(info: SourceInfo) -> ImageFormat:
    """For a source fitter cannot write, or a client that takes neither avif nor webp."""
    if info.frames > 1 and info.format in ANIMATED_FORMATS:
        return ImageFormat.GIF
    return ImageFormat.PNG if info.has_alpha else ImageFormat.JPEG


def negotiate(accept: str, info: SourceInfo) -> ImageFormat:
    """Pick avif, then webp, then the fallback, by the q-values the client gave.

    Only explicit `image/avif` and `image/webp` entries count: a client that says `*/*`
    has not said it can decode them.
    """
    weights = media_weights(accept)
    candidates = [ImageFormat.WEBP] if info.frames > 1 else [ImageFormat.AVIF, ImageFormat.WEBP]
    best = max(candidates, key=lambda f: weights.get(f.media_type, 0.0))
    if weights.get(best.media_type, 0.0) > 0:
        return best
    return fallback_format(info)


def variant_key(plan: Plan, output: Output, source_version: str) -> str:
    """The stable name of a variant: a hash of source identity, operations and output."""
    text = "\n".join(("v1", plan.path, source_version, plan.operations(), output.canonical()))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
