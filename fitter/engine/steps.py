"""The pixel steps, one function per mode, each taking a Job and giving a libvips image.

Sizes come from `geometry`, never from here. Resizing goes through libvips' `thumbnail`
so that JPEG, WebP and AVIF sources shrink while they load; the other modes load the
original with random access because flips, rotations and crops read out of order.
Animated sources are a vertical strip of frames (libvips' `page-height`): every frame
gets the same operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyvips

from fitter.engine import geometry
from fitter.engine.load import open_image, shrunk
from fitter.models import Original, SourceInfo
from fitter.plan import Direction, Gravity, Mode, Output, Plan

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

    @property
    def animated(self) -> bool:
        return self.info.frames > 1 and self.output.format.can_animate


def resize(job: Job) -> pyvips.Image:
    plan = job.plan
    geo = geometry.resize_geometry(
        (job.info.width, job.info.height),
        plan.width,
        plan.height,
        plan.fit,
        plan.upscale,
        job.limit,
    )
    image = to_srgb(shrunk(job.original, job.info, geo.scaled, animated=job.animated))
    if geo.crop and geo.crop != geo.scaled:
        if plan.gravity in SEARCHES:
            # A thumbnail streams once; the search reads it again, so keep it in memory.
            image = image.copy_memory()
        left, top, _, _ = window(image, geo.crop, plan.gravity)
        image = per_frame(image, lambda f: f.extract_area(left, top, *geo.crop))
    if geo.canvas and geo.canvas != geo.scaled:
        image, fill = with_background(image, job)
        left, top = geometry.gravity_offset(geo.canvas, geo.scaled, plan.gravity)
        image = per_frame(
            image, lambda f: f.embed(left, top, *geo.canvas, extend="background", background=fill)
        )
    return image


def crop(job: Job) -> pyvips.Image:
    plan = job.plan
    image = upright(job)
    left, top, width, height = geometry.crop_rect(
        (job.info.width, job.info.height), plan.x, plan.y, plan.width, plan.height, plan.gravity
    )
    if plan.x is None and plan.gravity in SEARCHES:
        left, top, _, _ = window(image, (width, height), plan.gravity)
    return per_frame(image, lambda f: f.extract_area(left, top, width, height))


def flip(job: Job) -> pyvips.Image:
    turn = {
        Direction.HORIZONTAL: lambda f: f.fliphor(),
        Direction.VERTICAL: lambda f: f.flipver(),
        Direction.BOTH: lambda f: f.rot("d180"),
    }[job.plan.direction or Direction.HORIZONTAL]
    return per_frame(upright(job), turn)


def rotate(job: Job) -> pyvips.Image:
    degree = job.plan.degree % 360
    image = upright(job)
    if degree == 0:
        return image
    if degree in ROTATIONS:
        return per_frame(image, lambda f: f.rot(ROTATIONS[int(degree)]))
    image, fill = with_background(image, job)
    return per_frame(image, lambda f: f.rotate(degree, background=fill))


STEPS: dict[Mode, Callable[[Job], pyvips.Image]] = {
    Mode.THUMBNAIL: resize,
    Mode.RESIZE: resize,
    Mode.CROP: crop,
    Mode.FLIP: flip,
    Mode.ROTATE: rotate,
}


def upright(job: Job) -> pyvips.Image:
    """The whole original, EXIF-rotated and in sRGB, for the modes that do not shrink."""
    image = open_image(job.original, animated=job.animated)
    if not job.animated:
        image = image.autorot()
    return to_srgb(image)


def to_srgb(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB (or 8-bit grey) whatever the source: CMYK, 16-bit, a foreign profile."""
    interpretation = image.interpretation
    if interpretation == "cmyk" or "icc-profile-data" in image.get_fields():
        try:
            image = image.icc_transform(
                "srgb", embedded=True, input_profile="cmyk" if interpretation == "cmyk" else "srgb"
            )
        except pyvips.Error:
            image = image.colourspace("srgb")
    elif interpretation not in ("srgb", "b-w") or image.format != "uchar":
        image = image.colourspace("b-w" if interpretation in ("b-w", "grey16") else "srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


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


def window(image: pyvips.Image, size: tuple[int, int], gravity: Gravity):
    """Where a crop of `size` goes in the first frame: a compass point or libvips' search."""
    frame_height = page_height(image)
    outer = (image.width, frame_height)
    if gravity not in SEARCHES:
        left, top = geometry.gravity_offset(outer, size, gravity)
        return left, top, size[0], size[1]
    first = image.extract_area(0, 0, image.width, frame_height).copy_memory()
    found = first.smartcrop(size[0], size[1], interesting=SEARCHES[gravity])
    return -found.xoffset, -found.yoffset, size[0], size[1]


def page_height(image: pyvips.Image) -> int:
    if "page-height" in image.get_fields():
        height = image.get("page-height")
        if 0 < height < image.height and image.height % height == 0:
            return height
    return image.height


def per_frame(image: pyvips.Image, operation: Callable[[pyvips.Image], pyvips.Image]):
    """Apply one operation to every frame of an animation (or to a still image once)."""
    height = page_height(image)
    if height == image.height:
        return operation(image)
    image = image.copy_memory()
    frames = [
        operation(image.extract_area(0, top, image.width, height))
        for top in range(0, image.height, height)
    ]
    joined = pyvips.Image.arrayjoin(frames, across=1).copy()
    joined.set_type(pyvips.GValue.gint_type, "page-height", frames[0].height)
    return joined
