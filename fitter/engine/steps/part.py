"""The part of the source the size stage works on: the whole upright original, trimmed
and cut to the region when the plan asks, for the cases that cannot shrink on load."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pyvips

from fitter import geometry
from fitter.engine.deadline import Deadline
from fitter.engine.job import Job
from fitter.engine.load import open_image
from fitter.engine.pixels import first_frame, page_height, per_frame, to_srgb
from fitter.plan import Corner, Trim, Unit


@dataclass(frozen=True)
class Part:
    """The trimmed region of the source, and where its corner was in the source."""

    image: pyvips.Image
    origin: tuple[int, int] = (0, 0)

    @property
    def size(self) -> geometry.Size:
        return self.image.width, page_height(self.image)


def upright(job: Job) -> pyvips.Image:
    """The whole original, EXIF-rotated and in sRGB."""
    image = open_image(job.original, animated=job.animated)
    if not job.animated:
        image = image.autorot()
    return to_srgb(image)


def whole_or_part(job: Job) -> Part:
    return Part(upright(job)) if job.whole else cut(job)


def cut(job: Job) -> Part:
    """The trimmed region of the upright source (for a plan that has one or both)."""
    plan = job.plan
    image = upright(job)
    region, size, origin = plan.region, (image.width, page_height(image)), (0, 0)
    if plan.trim is not None:
        box = trim_box(image, plan.trim, job.deadline)
        image = per_frame(image, lambda f: f.extract_area(*box), job.deadline)
        if region is not None and region.unit is Unit.PIXELS:
            # A region in pixels is in the source's coordinates, trimmed or not.
            region = replace(region, left=region.left - box[0], top=region.top - box[1])
        size, origin = (box[2], box[3]), (box[0], box[1])
    if region is not None:
        # Without a trim the layout has the box already; with one it is only known now.
        box = job.layout.region if job.layout.exact else geometry.region_box(region, size)
        left, top, width, height = box
        image = per_frame(image, lambda f: f.extract_area(left, top, width, height), job.deadline)
        origin = (origin[0] + left, origin[1] + top)
    return Part(image, origin)


def trim_box(image: pyvips.Image, trim: Trim, deadline: Deadline) -> geometry.Box:
    """What is left without the border that has the colour of the chosen corner.

    A pixel belongs to the picture when its distance from the corner's colour, over every
    band (alpha too), is more than the tolerance (thumbor's `trim`); an even image is kept
    whole.
    """
    first = deadline.in_memory(first_frame(image))
    x = 0 if trim.corner is Corner.TOP_LEFT else first.width - 1
    y = 0 if trim.corner is Corner.TOP_LEFT else first.height - 1
    difference = first.cast("float") - first.getpoint(x, y)
    distance = (difference * difference).bandmean() * first.bands
    columns, rows = (distance > trim.tolerance**2).project()
    xs = [i for i, v in enumerate(columns.tolist()[0]) if v]
    ys = [i for i, row in enumerate(rows.tolist()) if row[0]]
    if not xs:
        return 0, 0, first.width, first.height
    return xs[0], ys[0], xs[-1] + 1 - xs[0], ys[-1] + 1 - ys[0]
