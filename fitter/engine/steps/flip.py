"""Mirror every frame, across, down or both."""

from __future__ import annotations

from collections.abc import Callable

import pyvips

from fitter.engine.job import Job
from fitter.engine.pixels import per_frame
from fitter.plan import Direction

FLIPS: dict[Direction, Callable[[pyvips.Image], pyvips.Image]] = {
    Direction.HORIZONTAL: lambda f: f.fliphor(),
    Direction.VERTICAL: lambda f: f.flipver(),
    Direction.BOTH: lambda f: f.rot("d180"),
}


def step(image: pyvips.Image, job: Job) -> pyvips.Image:
    if job.plan.direction is None:
        return image
    return per_frame(image, FLIPS[job.plan.direction], job.deadline)
