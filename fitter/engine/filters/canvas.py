"""Filters that change the canvas: corners, a background, a fill around the image, and
a proportional resize."""

from __future__ import annotations

import pyvips

from fitter.engine.deadline import Deadline
from fitter.engine.filters.detail import blur
from fitter.engine.pixels import as_rgb, join_alpha, resized, split_alpha, with_alpha
from fitter.plan import Color
from fitter.plan.filters import Blur, Fill, Proportion, RoundCorner


def round_corner(image: pyvips.Image, spec: RoundCorner) -> pyvips.Image:
    """Cut each corner to an ellipse: outside it the pixels take the colour, or become
    transparent."""
    a, b = max(spec.across, 1), max(spec.down, 1)
    width, height = image.width, image.height
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    # Distance into the corner squares, 0 along the straight edges.
    dx = (x < a).ifthenelse(a - x, (x > width - 1 - a).ifthenelse(x - (width - 1 - a), 0))
    dy = (y < b).ifthenelse(b - y, (y > height - 1 - b).ifthenelse(y - (height - 1 - b), 0))
    outside = ((dx / a) ** 2 + (dy / b) ** 2) > 1
    if spec.transparent:
        colour_bands, alpha = split_alpha(with_alpha(image))
        return join_alpha(colour_bands, outside.ifthenelse(0, alpha), "srgb")
    image = as_rgb(image)
    colour = [float(v) for v in spec.colour]
    fill = [*colour, 255.0] if image.hasalpha() else colour
    return outside.ifthenelse(fill, image).cast("uchar").copy(interpretation="srgb")


def background_color(image: pyvips.Image, colour: Color) -> pyvips.Image:
    if not image.hasalpha():
        return image
    r, g, b, _ = colour
    return as_rgb(image).flatten(background=[r, g, b]).cast("uchar").copy(interpretation="srgb")


def fill(image: pyvips.Image, spec: Fill, deadline: Deadline) -> pyvips.Image:
    canvas_w, canvas_h = spec.resize((image.width, image.height))
    # The image is read twice (for the colour or the blurred canvas, then pasted): the
    # size stage's result may only be readable once, in order.
    image = deadline.in_memory(with_alpha(image))
    left, top = (canvas_w - image.width) // 2, (canvas_h - image.height) // 2
    if spec.fill == "blur":
        canvas = blur(resized(image, (canvas_w, canvas_h)), Blur(50))
        colour_bands, alpha = split_alpha(canvas)
        assert alpha is not None
        canvas = join_alpha(colour_bands, alpha.new_from_image(255), "srgb")
    else:
        colour = median_colour(image) if spec.fill == "auto" else [float(v) for v in spec.colour]
        canvas = (pyvips.Image.black(canvas_w, canvas_h, bands=4) + colour).cast("uchar")
        canvas = canvas.copy(interpretation="srgb")
    if spec.merge:
        return canvas.composite2(image, "over", x=left, y=top).cast("uchar")
    return canvas.insert(image, left, top)


def median_colour(image: pyvips.Image) -> list[float]:
    colour, _ = split_alpha(as_rgb(image))
    return [float(colour.extract_band(i).percent(50)) for i in range(3)] + [255.0]


def proportion(image: pyvips.Image, spec: Proportion) -> pyvips.Image:
    size = spec.resize((image.width, image.height))
    return image if size == (image.width, image.height) else resized(image, size)
