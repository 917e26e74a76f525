"""The pixel stages of a Plan, each taking a Job and giving a lazy libvips image.

Sizes come from `geometry`, never from here. The stages run in the Plan's fixed order:
trim and region, the size stage, flip, rotate, filters. Resizing a whole source shrinks
it while it loads (JPEG's own shrink, else libvips' `thumbnail`), and so does a region of
a plain JPEG; the rest load the original with random access because crops, trims and
rotations read out of order.
Animated sources are a vertical strip of frames (libvips' `page-height`): every frame
gets the same operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import pyvips

from fitter.engine import filters, geometry
from fitter.engine.deadline import Deadline
from fitter.engine.load import open_image, shrunk, shrunk_region
from fitter.engine.pixels import first_frame, page_height, per_frame, resized, to_srgb
from fitter.models import Original, SourceInfo
from fitter.plan import Corner, Direction, Gravity, Mode, Output, Plan, Trim, Unit

WHITE = (255, 255, 255, 255)
TRANSPARENT = (0, 0, 0, 0)
SEARCHES = {Gravity.SMART: "attention", Gravity.ENTROPY: "entropy"}
ROTATIONS = {90: "d90", 180: "d180", 270: "d270"}


@dataclass(frozen=True)
class Job:
    plan: Plan
    output: Output
    info: SourceInfo
    original: Original
    limit: tuple[int, int]
    # Other sources the filters read, by path (a watermark's image).
    extras: Mapping[str, Original] = field(default_factory=dict)
    deadline: Deadline = field(default_factory=Deadline)

    @property
    def animated(self) -> bool:
        return self.info.frames > 1 and self.output.format.can_animate

    @property
    def whole(self) -> bool:
        """Whether the size stage works on the whole source, and so may shrink on load."""
        return self.plan.trim is None and self.plan.region is None

    def each_frame(self, image: pyvips.Image, operation: Callable[[pyvips.Image], pyvips.Image]):
        return per_frame(image, operation, self.deadline)


@dataclass(frozen=True)
class Part:
    """The trimmed region of the source, and where its corner was in the source."""

    image: pyvips.Image
    origin: tuple[int, int] = (0, 0)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.width, page_height(self.image)


def run(job: Job) -> pyvips.Image:
    """Every stage of the plan in its fixed order, lazily: nothing is computed until the
    caller encodes the result (but for what a step must see first, such as a search)."""
    plan = job.plan
    image = SIZE_STAGES[plan.mode](job)
    if plan.direction is not None:
        image = job.each_frame(image, FLIPS[plan.direction])
    if plan.degree % 360:
        image = rotate(image, plan.degree % 360, job)
    for step in plan.filters:
        image = job.each_frame(image, lambda frame, step=step: filters.apply(frame, step, job))
    return finish(image, job)


def resize(job: Job) -> pyvips.Image:
    plan = job.plan
    if job.whole:
        part = None
        origin, size = (0, 0), (job.info.width, job.info.height)
    elif shrinks_region(job):
        part = None
        box = geometry.region_box(plan.region, (job.info.width, job.info.height))
        origin, size = (box[0], box[1]), (box[2], box[3])
    else:
        part = cut(job)
        origin, size = part.origin, part.size
    geo = geometry.resize_geometry(
        size, plan.width, plan.height, plan.fit, plan.upscale, job.limit, plan.scale
    )
    if part is not None:
        image = job.each_frame(part.image, lambda f: resized(f, geo.scaled))
    elif job.whole:
        image = to_srgb(shrunk(job.original, job.info, geo.scaled, animated=job.animated))
    else:
        image = to_srgb(shrunk_region(job.original, (*origin, *size), geo.scaled))
    if geo.crop and geo.crop != geo.scaled:
        if plan.focus is not None:
            # The focal point, moved into the part and scaled as the image was.
            point = (
                (plan.focus[0] - origin[0]) * geo.scaled[0] / size[0],
                (plan.focus[1] - origin[1]) * geo.scaled[1] / size[1],
            )
            left, top = geometry.focus_offset(geo.scaled, geo.crop, point)
        else:
            if plan.gravity in SEARCHES:
                # A thumbnail streams once; the search reads it again, so keep it in memory.
                image = job.deadline.in_memory(image)
            left, top, _, _ = window(image, geo.crop, plan.gravity, job.deadline)
        image = job.each_frame(image, lambda f: f.extract_area(left, top, *geo.crop))
    if geo.canvas and geo.canvas != geo.scaled:
        image, fill = with_background(image, job)
        left, top = geometry.gravity_offset(geo.canvas, geo.scaled, plan.gravity)
        image = job.each_frame(
            image, lambda f: f.embed(left, top, *geo.canvas, extend="background", background=fill)
        )
    return image


def shrinks_region(job: Job) -> bool:
    """A region of a plain JPEG can be cut from a copy decoded at a smaller scale."""
    info = job.info
    return job.plan.trim is None and info.format == "jpeg" and info.orientation == 1


def crop(job: Job) -> pyvips.Image:
    plan = job.plan
    image = part_or_whole(job)
    left, top, width, height = geometry.crop_rect(
        (image.width, page_height(image)), plan.x, plan.y, plan.width, plan.height, plan.gravity
    )
    if plan.x is None and plan.gravity in SEARCHES:
        left, top, _, _ = window(image, (width, height), plan.gravity, job.deadline)
    return job.each_frame(image, lambda f: f.extract_area(left, top, width, height))


def keep(job: Job) -> pyvips.Image:
    return part_or_whole(job)


def part_or_whole(job: Job) -> pyvips.Image:
    return upright(job) if job.whole else cut(job).image


SIZE_STAGES: dict[Mode, Callable[[Job], pyvips.Image]] = {
    Mode.THUMBNAIL: resize,
    Mode.RESIZE: resize,
    Mode.CROP: crop,
    Mode.KEEP: keep,
}
FLIPS: dict[Direction, Callable[[pyvips.Image], pyvips.Image]] = {
    Direction.HORIZONTAL: lambda f: f.fliphor(),
    Direction.VERTICAL: lambda f: f.flipver(),
    Direction.BOTH: lambda f: f.rot("d180"),
}


def rotate(image: pyvips.Image, degree: float, job: Job) -> pyvips.Image:
    """Clockwise; a right angle turns exactly, any other grows the canvas and fills it."""
    if degree in ROTATIONS:
        return job.each_frame(image, lambda f: f.rot(ROTATIONS[int(degree)]))
    image, fill = with_background(image, job)
    return job.each_frame(image, lambda f: f.rotate(degree, background=fill))


def cut(job: Job) -> Part:
    """The trimmed region of the upright source (for a plan that has one or both)."""
    plan = job.plan
    image = upright(job)
    region, size, origin = plan.region, (image.width, page_height(image)), (0, 0)
    if plan.trim is not None:
        box = trim_box(image, plan.trim, job.deadline)
        image = job.each_frame(image, lambda f: f.extract_area(*box))
        if region is not None and region.unit is Unit.PIXELS:
            # A region in pixels is in the source's coordinates, trimmed or not.
            region = replace(region, left=region.left - box[0], top=region.top - box[1])
        size, origin = (box[2], box[3]), (box[0], box[1])
    if region is not None:
        left, top, width, height = geometry.region_box(region, size)
        image = job.each_frame(image, lambda f: f.extract_area(left, top, width, height))
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


def upright(job: Job) -> pyvips.Image:
    """The whole original, EXIF-rotated and in sRGB, for the modes that do not shrink."""
    image = open_image(job.original, animated=job.animated)
    if not job.animated:
        image = image.autorot()
    return to_srgb(image)


def finish(image: pyvips.Image, job: Job) -> pyvips.Image:
    """Flatten alpha onto the background where the output format cannot carry it."""
    if image.hasalpha() and not job.output.format.has_alpha:
        r, g, b, _ = job.plan.background or WHITE
        image = as_colour(image).flatten(background=[r, g, b])
    return image


def with_background(image: pyvips.Image, job: Job) -> tuple[pyvips.Image, list[float]]:
    """The image ready to be padded or turned, and the fill as a libvips pixel.

    The default fill is transparent when the output keeps alpha, else white; a
    translucent fill asked for on an opaque image gives the image an alpha band.
    """
    keeps_alpha = job.output.format.has_alpha
    colour = job.plan.background or (TRANSPARENT if keeps_alpha and image.hasalpha() else WHITE)
    image = as_colour(image)
    if keeps_alpha and colour[3] < 255 and not image.hasalpha():
        image = image.addalpha()
    fill = list(colour[:3]) + ([colour[3]] if image.hasalpha() else [])
    return image, [float(v) for v in fill]


def as_colour(image: pyvips.Image) -> pyvips.Image:
    return image.colourspace("srgb") if image.interpretation == "b-w" else image


def window(image: pyvips.Image, size: tuple[int, int], gravity: Gravity, deadline: Deadline):
    """Where a crop of `size` goes in the first frame: a compass point or libvips' search."""
    outer = (image.width, page_height(image))
    if gravity not in SEARCHES:
        left, top = geometry.gravity_offset(outer, size, gravity)
        return left, top, size[0], size[1]
    first = deadline.in_memory(first_frame(image))
    found = first.smartcrop(size[0], size[1], interesting=SEARCHES[gravity])
    return -found.xoffset, -found.yoffset, size[0], size[1]
