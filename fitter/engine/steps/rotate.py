"""Turn every frame clockwise: a right angle exactly, any other angle on a grown canvas
filled with the background."""

from __future__ import annotations

import pyvips

from fitter.engine.job import Job
from fitter.engine.pixels import per_frame, ready_to_fill

ROTATIONS = {90: "d90", 180: "d180", 270: "d270"}


def step(image: pyvips.Image, job: Job) -> pyvips.Image:
    plan = job.plan
    if not plan.turned:
        return image
    degree = plan.degree % 360
    if degree in ROTATIONS:
        angle = ROTATIONS[int(degree)]
        return per_frame(image, lambda f: f.rot(angle), job.deadline)
    image, fill = ready_to_fill(image, job.output.format.has_alpha, plan.background)
    return per_frame(image, lambda f: f.rotate(degree, background=fill), job.deadline)
