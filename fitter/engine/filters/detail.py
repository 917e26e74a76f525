"""Filters that work on neighbourhoods of pixels: blur, sharpen, noise, convolution."""

from __future__ import annotations

import pyvips

from fitter.engine.pixels import on_colour
from fitter.plan.filters import Blur, Convolution, Noise, Sharpen

BLUR_SIGMA_MAX = 150.0


def blur(image: pyvips.Image, spec: Blur) -> pyvips.Image:
    sigma = spec.sigma if spec.sigma > 0 else float(spec.radius)
    sigma = min(sigma, spec.radius, BLUR_SIGMA_MAX)
    return on_colour(image, lambda c: c.gaussblur(max(sigma, 0.1)))


def sharpen(image: pyvips.Image, spec: Sharpen) -> pyvips.Image:
    def change(colour: pyvips.Image) -> pyvips.Image:
        kind = colour.interpretation
        sharp = colour.sharpen(sigma=max(spec.radius, 0.1), m2=max(spec.amount, 0.0))
        return sharp.colourspace(kind if kind in ("srgb", "b-w") else "srgb")

    return on_colour(image, change)


def noise(image: pyvips.Image, spec: Noise) -> pyvips.Image:
    amount = spec.amount * 255 / 100

    def change(colour: pyvips.Image) -> pyvips.Image:
        grain = [
            pyvips.Image.gaussnoise(
                colour.width, colour.height, sigma=amount / 2, seed=spec.seed + i
            )
            for i in range(colour.bands)
        ]
        return colour + grain[0].bandjoin(grain[1:]) if len(grain) > 1 else colour + grain[0]

    return on_colour(image, change)


def convolution(image: pyvips.Image, spec: Convolution) -> pyvips.Image:
    total = sum(sum(row) for row in spec.rows)
    scale = total if spec.normalise and total else 1.0
    mask = pyvips.Image.new_from_list([list(row) for row in spec.rows], scale=scale)
    return on_colour(image, lambda c: c.conv(mask, precision="float"))
