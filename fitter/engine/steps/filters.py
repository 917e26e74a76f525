"""The plan's pixel filters, in order, each on every frame (see `engine.filters`)."""

from __future__ import annotations

import functools

import pyvips

from fitter.engine import filters
from fitter.engine.job import Job
from fitter.engine.pixels import per_frame


def step(image: pyvips.Image, job: Job) -> pyvips.Image:
    for each in job.plan.filters:
        image = per_frame(image, functools.partial(filters.apply, step=each, job=job), job.deadline)
    return image
