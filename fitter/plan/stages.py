"""The Plan: one frozen, validated description of a transformation.

Every URL grammar parses into a Plan and nothing downstream knows which grammar was
used. Its stages run in a fixed order: trim, region, size, flip, rotate, filters, then
the output. `operations` is the canonical text of what it does to the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fitter.plan.filters import Color, Filter
from fitter.plan.output import ORIGINAL, RequestedFormat
from fitter.plan.text import canonical_number


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
        numbers = ",".join(
            canonical_number(v) for v in (self.left, self.top, self.width, self.height)
        )
        return f"{self.unit}:{numbers}"


class Corner(StrEnum):
    TOP_LEFT = "top-left"
    BOTTOM_RIGHT = "bottom-right"


@dataclass(frozen=True)
class Trim:
    """Cut away the border that has the colour of one corner (within a tolerance)."""

    corner: Corner = Corner.TOP_LEFT
    tolerance: int = 0


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
        """Other sources the filters read (a watermark's image), checked with the original."""
        return tuple(path for step in self.filters for path in step.sources())

    @property
    def turned(self) -> bool:
        return bool(self.degree % 360)

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
        if self.turned:
            stages.append(f"rotate:{canonical_number(self.degree % 360)}")
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
                    where = ",focus=" + ",".join(canonical_number(v) for v in self.focus)
            size = f"{self.width}x{self.height}"
            if not (self.width or self.height):
                size = f"x{canonical_number(self.scale)}"
            return f"resize:{size},fit={fit}{where},up={int(self.upscale)}"
        if self.mode is Mode.CROP:
            where = f"at={self.x},{self.y}" if self.x is not None else f"gravity={self.gravity}"
            return f"crop:{self.width}x{self.height},{where}"
        return "keep"
