"""Pixel filters: typed values, parsed once by a dialect, run by `fitter.engine.filters`.

Each filter says what it does in plain fields, never in a dialect's syntax: a colour is
four bytes, a kernel is rows of numbers, a watermark's place is a `Position`. Filters
that change the image's size say how (`resize`), so every size is known from the header
before any pixel is read; a filter that reads another source names it (`sources`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

from fitter.plan.text import canonical_value

Color = tuple[int, int, int, int]
Size = tuple[int, int]


@dataclass(frozen=True)
class Base:
    """What every filter has: one canonical text, a size rule and the sources it reads."""

    def canonical(self) -> str:
        kind = getattr(self, "kind", type(self).__name__.lower())
        args = ",".join(
            canonical_value(getattr(self, f.name)) for f in fields(self) if f.name != "kind"
        )
        return f"{kind}({args})"

    def resize(self, size: Size) -> Size:
        """The image's size after this filter, for one of `size` before it."""
        return size

    def sources(self) -> tuple[str, ...]:
        """Other sources this filter reads (their paths)."""
        return ()


@dataclass(frozen=True)
class Grayscale(Base):
    kind: Literal["grayscale"] = field(default="grayscale", repr=False, kw_only=True)


@dataclass(frozen=True)
class Bitonal(Base):
    """Black or white only, split at mid-grey (IIIF's `bitonal` quality)."""

    kind: Literal["bitonal"] = field(default="bitonal", repr=False, kw_only=True)


@dataclass(frozen=True)
class Brightness(Base):
    """Every channel shifted by `amount` percent of full scale (-100 to 100)."""

    amount: int
    kind: Literal["brightness"] = field(default="brightness", repr=False, kw_only=True)


@dataclass(frozen=True)
class Contrast(Base):
    """Scaled around mid-grey: -100 flattens to grey, 0 keeps, 100 is four times steeper."""

    amount: int
    kind: Literal["contrast"] = field(default="contrast", repr=False, kw_only=True)


@dataclass(frozen=True)
class Saturation(Base):
    """Each pixel's distance from its grey times `factor`: 0 is grey, 1 keeps."""

    factor: float
    kind: Literal["saturation"] = field(default="saturation", repr=False, kw_only=True)


@dataclass(frozen=True)
class Rgb(Base):
    """Red, green and blue each shifted by its own percentage of full scale."""

    red: int
    green: int
    blue: int
    kind: Literal["rgb"] = field(default="rgb", repr=False, kw_only=True)


@dataclass(frozen=True)
class Blur(Base):
    """Gaussian blur of `sigma` (0: the radius), never above the radius."""

    radius: int
    sigma: float = 0.0
    kind: Literal["blur"] = field(default="blur", repr=False, kw_only=True)


@dataclass(frozen=True)
class Sharpen(Base):
    """Unsharp mask of `amount` at `radius` (libvips sharpens lightness only; thumbor's
    third argument, luminance only, is kept for the key but changes nothing)."""

    amount: float
    radius: float
    luminance_only: bool = False
    kind: Literal["sharpen"] = field(default="sharpen", repr=False, kw_only=True)


@dataclass(frozen=True)
class Noise(Base):
    """Gaussian noise of `amount` percent of full scale, reproducible by `seed`."""

    amount: int
    seed: int = 0
    kind: Literal["noise"] = field(default="noise", repr=False, kw_only=True)


@dataclass(frozen=True)
class Equalize(Base):
    """Each channel's histogram spread over the whole range."""

    kind: Literal["equalize"] = field(default="equalize", repr=False, kw_only=True)


@dataclass(frozen=True)
class Convolution(Base):
    """A kernel, row by row, optionally divided by its sum."""

    rows: tuple[tuple[float, ...], ...]
    normalise: bool = True
    kind: Literal["convolution"] = field(default="convolution", repr=False, kw_only=True)


@dataclass(frozen=True)
class RoundCorner(Base):
    """Corners cut to an ellipse of radii (`across`, `down`): outside it the pixels become
    `colour`, or transparent."""

    across: int
    down: int
    colour: tuple[int, int, int]
    transparent: bool = False
    kind: Literal["round_corner"] = field(default="round_corner", repr=False, kw_only=True)


@dataclass(frozen=True)
class BackgroundColor(Base):
    """Transparent parts laid on a plain colour (the size is kept)."""

    colour: Color
    kind: Literal["background_color"] = field(default="background_color", repr=False, kw_only=True)


FillWith = Literal["colour", "auto", "blur"]


@dataclass(frozen=True)
class Fill(Base):
    """The image centred on a canvas of the box (`width`, `height`; 0: the image's own
    side), never smaller than the image. The canvas is `colour`, the image's median
    colour (`auto`) or a blurred, stretched copy of it (`blur`); with `merge` the image's
    own transparent parts take the fill too."""

    width: int = 0
    height: int = 0
    fill: FillWith = "colour"
    colour: Color = (255, 255, 255, 255)
    merge: bool = False
    kind: Literal["fill"] = field(default="fill", repr=False, kw_only=True)

    def resize(self, size: Size) -> Size:
        return max(self.width, size[0]), max(self.height, size[1])


@dataclass(frozen=True)
class Proportion(Base):
    """Both sides times `factor`, rounded down; an image that would lose a side stays."""

    factor: float
    kind: Literal["proportion"] = field(default="proportion", repr=False, kw_only=True)

    def resize(self, size: Size) -> Size:
        width, height = int(size[0] * self.factor), int(size[1] * self.factor)
        return (width, height) if width >= 1 and height >= 1 else size


@dataclass(frozen=True)
class Position:
    """Where a watermark starts along one axis: `amount` pixels or percent of the image
    from the near edge (or from the far one), centred, or repeated across the axis."""

    place: Literal["pixels", "percent", "center", "repeat"]
    amount: int = 0
    from_end: bool = False

    def canonical(self) -> str:
        if self.place in ("center", "repeat"):
            return self.place
        sign = "-" if self.from_end else ""
        return f"{sign}{self.amount}{'p' if self.place == 'percent' else ''}"


@dataclass(frozen=True)
class Watermark(Base):
    """Another source laid over the image, `transparency` percent see-through, at most
    `width_share` and `height_share` percent of the image's sides when given."""

    path: str
    x: Position
    y: Position
    transparency: int = 0
    width_share: int | None = None
    height_share: int | None = None
    kind: Literal["watermark"] = field(default="watermark", repr=False, kw_only=True)

    def sources(self) -> tuple[str, ...]:
        return (self.path,)


Filter = (
    Grayscale
    | Bitonal
    | Brightness
    | Contrast
    | Saturation
    | Rgb
    | Blur
    | Sharpen
    | Noise
    | Equalize
    | Convolution
    | RoundCorner
    | BackgroundColor
    | Fill
    | Proportion
    | Watermark
)
