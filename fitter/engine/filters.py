"""Pixel filters run after the size stage, one function per `Filter.name`.

A dialect only checks a filter's arguments; what a name does to pixels is decided here
once, for every grammar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pyvips

from fitter.models import Original
from fitter.plan import Filter, FilterArg

Size = tuple[int, int]
Args = tuple[FilterArg, ...]
# Other originals a filter reads, by source path (a watermark's image).
Extras = Mapping[str, Original]


def grayscale(image: pyvips.Image, args: Args, extras: Extras) -> pyvips.Image:
    alpha = image.extract_band(image.bands - 1) if image.hasalpha() else None
    grey = image.colourspace("b-w")
    grey = grey.extract_band(0) if grey.bands > 1 else grey
    return grey.bandjoin(alpha) if alpha is not None else grey


def bitonal(image: pyvips.Image, args: Args, extras: Extras) -> pyvips.Image:
    """Black or white only, split at mid-grey (IIIF's `bitonal` quality)."""
    grey = grayscale(image, (), extras)
    level = (grey.extract_band(0) > 127).ifthenelse(255, 0).cast("uchar")
    return level.copy(interpretation="b-w")


FILTERS: dict[str, Callable[[pyvips.Image, Args, Extras], pyvips.Image]] = {
    "grayscale": grayscale,
    "bitonal": bitonal,
}
# Filters that change the image's size, as pure functions of the size they get.
SIZES: dict[str, Callable[[Size, Args], Size]] = {}


def apply(image: pyvips.Image, step: Filter, extras: Extras) -> pyvips.Image:
    return FILTERS[step.name](image, step.args, extras)


def size_after(step: Filter, size: Size) -> Size:
    resize = SIZES.get(step.name)
    return resize(size, step.args) if resize else size
