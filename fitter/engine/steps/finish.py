"""Flatten alpha onto the background where the output format cannot carry it."""

from __future__ import annotations

import pyvips

from fitter.engine.job import Job
from fitter.engine.pixels import WHITE, as_colour


def step(image: pyvips.Image, job: Job) -> pyvips.Image:
    if not image.hasalpha() or job.output.format.has_alpha:
        return image
    r, g, b, _ = job.plan.background or WHITE
    return as_colour(image).flatten(background=[r, g, b])
