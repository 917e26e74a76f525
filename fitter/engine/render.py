"""A render: the steps of a plan in their fixed order, then the encoding.

Every step is lazy (libvips computes nothing until the result is encoded, but for what a
step must see first, such as a smart crop's search); the deadline is checked between
steps and watched while the pixels are computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pyvips

from fitter.engine.deadline import Deadline, Expired
from fitter.engine.encode import encode
from fitter.engine.job import Job
from fitter.engine.load import detached
from fitter.engine.pixels import page_height
from fitter.engine.steps import filters, finish, flip, rotate, size
from fitter.errors import GatewayTimeout, NotAnImage

Step = Callable[[pyvips.Image, Job], pyvips.Image]
# After the size stage, which opens the source: the order of the Plan's stages.
STEPS: tuple[Step, ...] = (flip.step, rotate.step, filters.step, finish.step)


@dataclass(frozen=True)
class Rendered:
    data: bytes
    width: int
    height: int


def run(job: Job) -> pyvips.Image:
    """Every step of the plan, lazily."""
    image = size.stage(job)
    for step in STEPS:
        job.deadline.check()
        image = step(image, job)
    return image


def render(job: Job, seconds: float | None = None) -> Rendered:
    """Run `job`; past `seconds` of pixel work libvips is stopped (504)."""
    job = replace(
        job,
        original=detached(job.original, job.info.format),
        deadline=Deadline.after(seconds),
    )
    try:
        # libvips is lazy: a corrupt source fails wherever pixels are first read, which
        # may be a smart crop's search as well as the final encode.
        image = run(job)
        job.deadline.watch(image)
        data = encode(image, job.output, job.deadline)
    except Expired:
        raise GatewayTimeout(f"processing took longer than {seconds:g} s", "path") from None
    except pyvips.Error as error:
        if "killed" in str(error):
            raise GatewayTimeout(f"processing took longer than {seconds:g} s", "path") from None
        raise NotAnImage("the source could not be decoded", "path") from error
    return Rendered(data=data, width=image.width, height=page_height(image))
