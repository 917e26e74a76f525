"""Another source laid over the image (thumbor's `watermark`)."""

from __future__ import annotations

import math

import pyvips

from fitter.engine.load import open_any
from fitter.engine.pixels import as_rgb, join_alpha, resized, split_alpha, to_srgb, with_alpha
from fitter.geometry import Size
from fitter.models import Original
from fitter.plan.filters import Position, Watermark


def watermark(image: pyvips.Image, spec: Watermark, original: Original) -> pyvips.Image:
    """`original` is the mark's source, checked against the limits with the image's."""
    mark = with_alpha(as_rgb(load_mark(original)))
    if spec.transparency:
        colour_bands, alpha = split_alpha(mark)
        assert alpha is not None
        mark = join_alpha(colour_bands, alpha * ((100 - spec.transparency) / 100), "srgb")
    width_share = spec.width_share / 100 if spec.width_share else None
    height_share = spec.height_share / 100 if spec.height_share else None
    if width_share or height_share:
        size = watermark_size(
            (image.width, image.height), (mark.width, mark.height), width_share, height_share
        )
        mark = resized(mark, size)
    base = with_alpha(as_rgb(image))
    across, down = spec.x.place == "repeat", spec.y.place == "repeat"
    if across or down:
        # One layer of copies, laid once: thousands of small marks would each be an
        # operation in libvips' pipeline.
        mark = tiled(mark, base, across, down)
    left = offset(spec.x, image.width, mark.width)
    top = offset(spec.y, image.height, mark.height)
    base = base.composite2(mark, "over", x=left, y=top).cast("uchar").copy(interpretation="srgb")
    return base if image.hasalpha() else base.flatten().cast("uchar")


def load_mark(original: Original) -> pyvips.Image:
    """The mark, upright and 8-bit sRGB, opened as strictly as an original."""
    return to_srgb(open_any(original).autorot()).copy_memory()


def tiled(mark: pyvips.Image, base: pyvips.Image, across: bool, down: bool) -> pyvips.Image:
    """The mark repeated over the base's width, height or both (and cut to it)."""
    times_x = math.ceil(base.width / mark.width) if across else 1
    times_y = math.ceil(base.height / mark.height) if down else 1
    layer = mark.replicate(times_x, times_y)
    width = base.width if across else mark.width
    height = base.height if down else mark.height
    return layer.crop(0, 0, width, height)


def watermark_size(
    image: Size, mark: Size, width_share: float | None, height_share: float | None
) -> Size:
    """The largest size of the mark's shape within the allowed share of the image."""
    if width_share:
        most_w = image[0] * width_share
        most_h = image[1] * height_share if height_share else mark[1] * most_w / mark[0]
    else:
        most_h = image[1] * (height_share or 1.0)
        most_w = mark[0] * most_h / mark[1]
    scale = min(most_w / mark[0], most_h / mark[1])
    return max(1, round(mark[0] * scale)), max(1, round(mark[1] * scale))


def offset(position: Position, outer: int, inner: int) -> int:
    """Where the mark starts along one axis (a repeated mark is laid from 0)."""
    if position.place == "repeat":
        return 0
    if position.place == "center":
        return (outer - inner) // 2
    amount = position.amount
    if position.place == "percent":
        amount = round(outer * amount / 100)
    return outer - inner - amount if position.from_end else amount
