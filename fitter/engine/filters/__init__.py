"""Pixel filters: each typed filter of the plan (`fitter.plan.filters`) to its function.

Every function takes an 8-bit sRGB (or grey) frame, with or without alpha, and gives one
back, grouped by kind: `colour`, `detail`, `canvas` and `watermark`. The match below is
the one table from filter to function; the type checker tells when a filter is missing.
"""

from __future__ import annotations

from typing import assert_never

import pyvips

from fitter.engine.filters import canvas, colour, detail, watermark
from fitter.engine.job import Job
from fitter.plan.filters import (
    BackgroundColor,
    Bitonal,
    Blur,
    Brightness,
    Contrast,
    Convolution,
    Equalize,
    Fill,
    Filter,
    Grayscale,
    Noise,
    Proportion,
    Rgb,
    RoundCorner,
    Saturation,
    Sharpen,
    Watermark,
)


def apply(image: pyvips.Image, step: Filter, job: Job) -> pyvips.Image:
    match step:
        case Grayscale():
            return colour.grayscale(image)
        case Bitonal():
            return colour.bitonal(image)
        case Brightness():
            return colour.brightness(image, step.amount)
        case Contrast():
            return colour.contrast(image, step.amount)
        case Saturation():
            return colour.saturation(image, step.factor)
        case Rgb():
            return colour.rgb(image, (step.red, step.green, step.blue))
        case Equalize():
            return colour.equalize(image, job.deadline)
        case Blur():
            return detail.blur(image, step)
        case Sharpen():
            return detail.sharpen(image, step)
        case Noise():
            return detail.noise(image, step)
        case Convolution():
            return detail.convolution(image, step)
        case RoundCorner():
            return canvas.round_corner(image, step)
        case BackgroundColor():
            return canvas.background_color(image, step.colour)
        case Fill():
            return canvas.fill(image, step, job.deadline)
        case Proportion():
            return canvas.proportion(image, step)
        case Watermark():
            return watermark.watermark(image, step, job.extras[step.path])
        case _:
            assert_never(step)
