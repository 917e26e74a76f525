"""Small libvips helpers the steps and the filters share: colour, bands, frames, sizes."""

from __future__ import annotations

from collections.abc import Callable

import pyvips

from fitter.engine.deadline import Deadline
from fitter.geometry import Size
from fitter.plan import Color

WHITE: Color = (255, 255, 255, 255)
TRANSPARENT: Color = (0, 0, 0, 0)


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
        height: int = image.get("page-height")
        if 0 < height < image.height and image.height % height == 0:
            return height
    height = image.height
    return height


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


def as_colour(image: pyvips.Image) -> pyvips.Image:
    return image.colourspace("srgb") if image.interpretation == "b-w" else image


def as_rgb(image: pyvips.Image) -> pyvips.Image:
    """Three colour bands (and alpha, if any): per-channel arguments need them."""
    if image.interpretation == "b-w" or image.bands < 3:
        return image.colourspace("srgb")
    return image


def with_alpha(image: pyvips.Image) -> pyvips.Image:
    return image if image.hasalpha() else as_rgb(image).addalpha()


def split_alpha(image: pyvips.Image) -> tuple[pyvips.Image, pyvips.Image | None]:
    if image.hasalpha():
        return image.extract_band(0, n=image.bands - 1), image.extract_band(image.bands - 1)
    return image, None


def join_alpha(colour: pyvips.Image, alpha: pyvips.Image | None, like: str) -> pyvips.Image:
    """Back to 8 bits (clipped, not wrapped), with the alpha band it had."""
    colour = colour.cast("uchar")
    joined = colour.bandjoin(alpha) if alpha is not None else colour
    return joined.copy(interpretation=like)


def on_colour(image: pyvips.Image, change: Callable[[pyvips.Image], pyvips.Image]) -> pyvips.Image:
    """Apply `change` to the colour bands only; alpha is never brightened or blurred."""
    kind = "b-w" if image.interpretation == "b-w" else "srgb"
    colour, alpha = split_alpha(image)
    return join_alpha(change(colour), alpha, kind)


def ready_to_fill(
    image: pyvips.Image, keeps_alpha: bool, background: Color | None
) -> tuple[pyvips.Image, list[float]]:
    """The image ready to be padded or turned, and the fill as a libvips pixel.

    The default fill is transparent when the output keeps alpha, else white; a
    translucent fill asked for on an opaque image gives the image an alpha band.
    """
    colour = background or (TRANSPARENT if keeps_alpha and image.hasalpha() else WHITE)
    image = as_colour(image)
    if keeps_alpha and colour[3] < 255 and not image.hasalpha():
        image = image.addalpha()
    fill = list(colour[:3]) + ([colour[3]] if image.hasalpha() else [])
    return image, [float(v) for v in fill]
