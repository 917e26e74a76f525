"""The size stage: scale into a box (thumbnail, resize), cut a box out (crop), or keep.

Resizing the whole source shrinks it while it loads (JPEG's own shrink, else libvips'
`thumbnail`), and so does a region of a plain JPEG; the rest start from `part` (random
access: crops, trims and rotations read out of order). Sizes come from the Job's layout;
only a trimmed source, whose part is known from its pixels, has them worked out here.
"""

from __future__ import annotations

from collections.abc import Callable

import pyvips

from fitter import geometry
from fitter.engine.deadline import Deadline
from fitter.engine.job import Job
from fitter.engine.load import shrunk, shrunk_region
from fitter.engine.pixels import (
    first_frame,
    page_height,
    per_frame,
    ready_to_fill,
    resized,
    to_srgb,
)
from fitter.engine.steps.part import cut, whole_or_part
from fitter.plan import Gravity, Mode

SEARCHES = {Gravity.SMART: "attention", Gravity.ENTROPY: "entropy"}


def stage(job: Job) -> pyvips.Image:
    return STAGES[job.plan.mode](job)


def resize(job: Job) -> pyvips.Image:
    plan, layout = job.plan, job.layout
    region = layout.region
    origin, size = (region[0], region[1]), (region[2], region[3])
    if not layout.exact:
        part = cut(job)
        origin, size = part.origin, part.size
        geo = geometry.resize_geometry(
            size, plan.width, plan.height, plan.fit, plan.upscale, job.limit, plan.scale
        )
        image = per_frame(part.image, lambda f: resized(f, geo.scaled), job.deadline)
    else:
        assert layout.resize is not None
        geo = layout.resize
        if job.whole:
            image = to_srgb(shrunk(job.original, job.info, geo.scaled, animated=job.animated))
        elif shrinks_region(job):
            image = to_srgb(shrunk_region(job.original, region, geo.scaled))
        else:
            image = per_frame(cut(job).image, lambda f: resized(f, geo.scaled), job.deadline)
    if geo.crop and geo.crop != geo.scaled:
        image = crop_to(image, geo, origin, size, job)
    if geo.canvas and geo.canvas != geo.scaled:
        canvas = geo.canvas
        image, fill = ready_to_fill(image, job.output.format.has_alpha, plan.background)
        left, top = geometry.gravity_offset(canvas, geo.scaled, plan.gravity)
        image = per_frame(
            image,
            lambda f: f.embed(left, top, *canvas, extend="background", background=fill),
            job.deadline,
        )
    return image


def crop_to(
    image: pyvips.Image,
    geo: geometry.ResizeGeometry,
    origin: geometry.Size,
    size: geometry.Size,
    job: Job,
) -> pyvips.Image:
    """A cover's crop of the scaled image: on the focal point, by gravity or by a search."""
    plan, box = job.plan, geo.crop
    assert box is not None
    if plan.focus is not None:
        # The focal point, moved into the part and scaled as the image was.
        point = (
            (plan.focus[0] - origin[0]) * geo.scaled[0] / size[0],
            (plan.focus[1] - origin[1]) * geo.scaled[1] / size[1],
        )
        left, top = geometry.focus_offset(geo.scaled, box, point)
    else:
        if plan.gravity in SEARCHES:
            # A thumbnail streams once; the search reads it again, so keep it in memory.
            image = job.deadline.in_memory(image)
        left, top = window(image, box, plan.gravity, job.deadline)
    return per_frame(image, lambda f: f.extract_area(left, top, *box), job.deadline)


def shrinks_region(job: Job) -> bool:
    """A region of a plain JPEG can be cut from a copy decoded at a smaller scale."""
    info = job.info
    return job.plan.trim is None and info.format == "jpeg" and info.orientation == 1


def crop(job: Job) -> pyvips.Image:
    plan = job.plan
    image = whole_or_part(job).image
    if job.layout.exact and job.layout.crop is not None:
        left, top, width, height = job.layout.crop
    else:
        left, top, width, height = geometry.crop_rect(
            (image.width, page_height(image)),
            plan.x,
            plan.y,
            plan.width,
            plan.height,
            plan.gravity,
        )
    if plan.x is None and plan.gravity in SEARCHES:
        left, top = window(image, (width, height), plan.gravity, job.deadline)
    return per_frame(image, lambda f: f.extract_area(left, top, width, height), job.deadline)


def keep(job: Job) -> pyvips.Image:
    return whole_or_part(job).image


STAGES: dict[Mode, Callable[[Job], pyvips.Image]] = {
    Mode.THUMBNAIL: resize,
    Mode.RESIZE: resize,
    Mode.CROP: crop,
    Mode.KEEP: keep,
}


def window(
    image: pyvips.Image, size: geometry.Size, gravity: Gravity, deadline: Deadline
) -> tuple[int, int]:
    """Where a crop of `size` goes in the first frame: a compass point or libvips' search."""
    outer = (image.width, page_height(image))
    if gravity not in SEARCHES:
        return geometry.gravity_offset(outer, size, gravity)
    first = deadline.in_memory(first_frame(image))
    found = first.smartcrop(size[0], size[1], interesting=SEARCHES[gravity])
    return -found.xoffset, -found.yoffset
