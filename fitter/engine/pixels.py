"""Small libvips helpers the stages and the filters share: colour, frames, exact sizes."""

from __future__ import annotations

from collections.abc import Callable

import pyvips

from fitter.engine.deadline import Deadline
from fitter.engine.geometry import Size


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


def resized(image: pyvips.Image, size: Size) -> pyvips.Image:
    """Exactly `size`: libvips' resize may round a side one pixel off the geometry's."""
    image = image.resize(size[0] / image.width, vscale=size[1] / image.height)
    if (image.width, image.height) == size:
        return image
    image = image.extract_area(0, 0, min(size[0], image.width), min(size[1], image.height))
    return image.embed(0, 0, size[0], size[1], extend="copy")


def page_height(image: pyvips.Image) -> int:
    if "page-height" in image.get_fields():
        height = image.get("page-height")
        if 0 < height < image.height and image.height % height == 0:
            return height
    return image.height


def first_frame(image: pyvips.Image) -> pyvips.Image:
    return image.extract_area(0, 0, image.width, page_height(image))


def per_frame(
    image: pyvips.Image, operation: Callable[[pyvips.Image], pyvips.Image], deadline: Deadline
) -> pyvips.Image:
    """Apply one operation to every frame of an animation (or to a still image once)."""
    height = page_height(image)
    if height == image.height:
        return operation(image)
    image = deadline.in_memory(image)
    frames = [
        operation(image.extract_area(0, top, image.width, height))
        for top in range(0, image.height, height)
    ]
    joined = pyvips.Image.arrayjoin(frames, across=1).copy()
    joined.set_type(pyvips.GValue.gint_type, "page-height", frames[0].height)
    return joined
