"""Filters that change colours, pixel by pixel or by the histogram.

Pixel values follow the intent of thumbor's filters (brightness and rgb shift by a
percentage of full scale, contrast scales around mid-grey by ((100 + v) / 100)²,
saturation scales the distance from grey) without copying Pillow's arithmetic exactly.
"""

from __future__ import annotations

import pyvips

from fitter.engine.deadline import Deadline
from fitter.engine.pixels import as_rgb, on_colour

# Rec. 601 luma: the grey a saturation change moves towards or away from.
LUMA = (0.299, 0.587, 0.114)


def grayscale(image: pyvips.Image) -> pyvips.Image:
    alpha = image.extract_band(image.bands - 1) if image.hasalpha() else None
    grey = image.colourspace("b-w")
    grey = grey.extract_band(0) if grey.bands > 1 else grey
    return grey.bandjoin(alpha) if alpha is not None else grey


def bitonal(image: pyvips.Image) -> pyvips.Image:
    """Black or white only, split at mid-grey."""
    level = (grayscale(image).extract_band(0) > 127).ifthenelse(255, 0).cast("uchar")
    return level.copy(interpretation="b-w")


def brightness(image: pyvips.Image, amount: int) -> pyvips.Image:
    shift = amount * 255 / 100
    return on_colour(image, lambda c: c + shift)


def contrast(image: pyvips.Image, amount: int) -> pyvips.Image:
    factor = ((100 + amount) / 100) ** 2
    return on_colour(image, lambda c: (c - 128) * factor + 128)


def saturation(image: pyvips.Image, factor: float) -> pyvips.Image:
    def change(colour: pyvips.Image) -> pyvips.Image:
        if colour.bands < 3:
            return colour
        r, g, b = colour[0], colour[1], colour[2]
        grey = r * LUMA[0] + g * LUMA[1] + b * LUMA[2]
        return (colour - grey) * factor + grey

    return on_colour(image, change)


def rgb(image: pyvips.Image, shifts: tuple[int, int, int]) -> pyvips.Image:
    values = [v * 255 / 100 for v in shifts]
    return on_colour(as_rgb(image), lambda c: c + values)


def equalize(image: pyvips.Image, deadline: Deadline) -> pyvips.Image:
    # Two passes (the histogram, then the mapping) over what may be a sequential image.
    return on_colour(deadline.in_memory(image), lambda c: c.hist_equal())
