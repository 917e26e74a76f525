"""Pixel filters run after the size stage, one function per `Filter.name`.

A dialect only checks a filter's arguments; what a name does to pixels is decided here
once, for every grammar. Every function takes an 8-bit sRGB (or grey) image, with or
without alpha, and gives one back. Pixel values follow the intent of thumbor's filters
(brightness and rgb shift by a percentage of full scale, contrast scales around mid-grey
by ((100 + v) / 100)², saturation scales the distance from grey) without copying Pillow's
arithmetic exactly.

Filters that change the image's size also have a pure size function in
`geometry.FILTER_SIZES`, so every size is known before a pixel is read. Each filter runs
on one frame at a time (the stages split animations).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyvips

from fitter.engine.geometry import Size, fill_size, proportion_size
from fitter.engine.load import open_any
from fitter.engine.pixels import resized, to_srgb
from fitter.models import Original
from fitter.plan import Filter, FilterArg

if TYPE_CHECKING:
    from fitter.engine.steps import Job

Args = tuple[FilterArg, ...]
# Rec. 601 luma: the grey a saturation change moves towards or away from.
LUMA = (0.299, 0.587, 0.114)
BLUR_SIGMA_MAX = 150.0


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


def as_rgb(image: pyvips.Image) -> pyvips.Image:
    """Three colour bands (and alpha, if any): filters with per-channel arguments need them."""
    if image.interpretation == "b-w" or image.bands < 3:
        return image.colourspace("srgb")
    return image


def with_alpha(image: pyvips.Image) -> pyvips.Image:
    return image if image.hasalpha() else as_rgb(image).addalpha()


def colour_of(text: FilterArg) -> list[float]:
    """`rrggbbaa`, as the dialects hand colours to filters."""
    value = str(text)
    return [float(int(value[i : i + 2], 16)) for i in range(0, 8, 2)]


def grayscale(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    alpha = image.extract_band(image.bands - 1) if image.hasalpha() else None
    grey = image.colourspace("b-w")
    grey = grey.extract_band(0) if grey.bands > 1 else grey
    return grey.bandjoin(alpha) if alpha is not None else grey


def bitonal(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Black or white only, split at mid-grey (IIIF's `bitonal` quality)."""
    grey = grayscale(image, (), job)
    level = (grey.extract_band(0) > 127).ifthenelse(255, 0).cast("uchar")
    return level.copy(interpretation="b-w")


def brightness(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Shift every channel by `args[0]` percent of full scale (-100 to 100)."""
    shift = float(args[0]) * 255 / 100
    return on_colour(image, lambda c: c + shift)


def contrast(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Scale around mid-grey: -100 flattens to grey, 0 keeps, 100 is four times steeper."""
    factor = ((100 + float(args[0])) / 100) ** 2
    return on_colour(image, lambda c: (c - 128) * factor + 128)


def saturation(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Multiply each pixel's distance from its grey: 0 is grey, 1 keeps, 2 doubles."""
    factor = float(args[0])

    def change(colour: pyvips.Image) -> pyvips.Image:
        if colour.bands < 3:
            return colour
        r, g, b = colour[0], colour[1], colour[2]
        grey = r * LUMA[0] + g * LUMA[1] + b * LUMA[2]
        return (colour - grey) * factor + grey

    return on_colour(image, change)


def rgb(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Shift red, green and blue each by its own percentage of full scale."""
    shifts = [float(a) * 255 / 100 for a in args[:3]]
    return on_colour(as_rgb(image), lambda c: c + shifts)


def blur(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Gaussian blur; `args` are thumbor's radius and optional sigma (the radius if 0)."""
    radius = float(args[0])
    sigma = float(args[1]) if len(args) > 1 and float(args[1]) > 0 else radius
    sigma = min(sigma, radius, BLUR_SIGMA_MAX)
    return on_colour(image, lambda c: c.gaussblur(max(sigma, 0.1)))


def sharpen(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Unsharp mask of `amount` at `radius` (libvips sharpens lightness only)."""
    amount, radius = float(args[0]), float(args[1])

    def change(colour: pyvips.Image) -> pyvips.Image:
        kind = colour.interpretation
        sharp = colour.sharpen(sigma=max(radius, 0.1), m2=max(amount, 0.0))
        return sharp.colourspace(kind if kind in ("srgb", "b-w") else "srgb")

    return on_colour(image, change)


def noise(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Add Gaussian noise of `amount` percent of full scale, reproducible by `seed`."""
    amount = float(args[0]) * 255 / 100
    seed = int(args[1]) if len(args) > 1 else 0

    def change(colour: pyvips.Image) -> pyvips.Image:
        grain = [
            pyvips.Image.gaussnoise(colour.width, colour.height, sigma=amount / 2, seed=seed + i)
            for i in range(colour.bands)
        ]
        return colour + grain[0].bandjoin(grain[1:]) if len(grain) > 1 else colour + grain[0]

    return on_colour(image, change)


def equalize(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Spread each channel's histogram over the whole range."""
    # Two passes (the histogram, then the mapping) over what may be a sequential image.
    return on_colour(job.deadline.in_memory(image), lambda c: c.hist_equal())


def convolution(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """A custom kernel: `;`-separated numbers, row by row, `columns` wide, optionally
    divided by its sum."""
    values = [float(v) for v in str(args[0]).split(";")]
    columns = int(args[1])
    normalise = bool(int(args[2])) if len(args) > 2 else True
    rows = [values[i : i + columns] for i in range(0, len(values), columns)]
    total = sum(values)
    mask = pyvips.Image.new_from_list(rows, scale=total if normalise and total else 1.0)
    return on_colour(image, lambda c: c.conv(mask, precision="float"))


def round_corner(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Cut each corner to an ellipse of radii `a|b`: outside it the pixels become the
    colour (r, g, b), or transparent when the last argument is true."""
    radii = str(args[0]).split("|")
    a = max(int(radii[0]), 1)
    b = max(int(radii[1]) if len(radii) > 1 else a, 1)
    colour = [float(v) for v in args[1:4]]
    transparent = len(args) > 4 and bool(int(args[4]))
    width, height = image.width, image.height
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    # Distance into the corner squares, 0 along the straight edges.
    dx = (x < a).ifthenelse(a - x, (x > width - 1 - a).ifthenelse(x - (width - 1 - a), 0))
    dy = (y < b).ifthenelse(b - y, (y > height - 1 - b).ifthenelse(y - (height - 1 - b), 0))
    outside = ((dx / a) ** 2 + (dy / b) ** 2) > 1
    if transparent:
        image = with_alpha(image)
        colour_bands, alpha = split_alpha(image)
        return join_alpha(colour_bands, outside.ifthenelse(0, alpha), "srgb")
    image = as_rgb(image)
    fill = [*colour, 255.0] if image.hasalpha() else colour
    return outside.ifthenelse(fill, image).cast("uchar").copy(interpretation="srgb")


def background_color(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Lay the image on a plain colour: transparent parts take it (the size is kept)."""
    if not image.hasalpha():
        return image
    r, g, b, _ = colour_of(args[0])
    return as_rgb(image).flatten(background=[r, g, b]).cast("uchar").copy(interpretation="srgb")


def fill(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Centre the image on a canvas of the requested box.

    `args`: how to fill (`rrggbbaa`, `auto` for the image's median colour, or `blur` for
    a blurred, stretched copy of the image), the box's width and height, and whether the
    image's own transparent parts take the fill too.
    """
    how, merge = str(args[0]), len(args) > 3 and bool(int(args[3]))
    canvas_w, canvas_h = fill_size((image.width, image.height), args)
    # The image is read twice (for the colour or the blurred canvas, then pasted): the
    # size stage's result may only be readable once, in order.
    image = job.deadline.in_memory(with_alpha(image))
    left, top = (canvas_w - image.width) // 2, (canvas_h - image.height) // 2
    if how == "blur":
        canvas = blur(resized(image, (canvas_w, canvas_h)), (50,), job)
        colour_bands, alpha = split_alpha(canvas)
        canvas = join_alpha(colour_bands, alpha.new_from_image(255), "srgb")
    else:
        colour = median_colour(image) if how == "auto" else colour_of(how)
        canvas = (pyvips.Image.black(canvas_w, canvas_h, bands=4) + colour).cast("uchar")
        canvas = canvas.copy(interpretation="srgb")
    if merge:
        return canvas.composite2(image, "over", x=left, y=top).cast("uchar")
    return canvas.insert(image, left, top)


def median_colour(image: pyvips.Image) -> list[float]:
    colour, _ = split_alpha(as_rgb(image))
    return [float(colour.extract_band(i).percent(50)) for i in range(3)] + [255.0]


def proportion(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    size = proportion_size((image.width, image.height), args)
    return image if size == (image.width, image.height) else resized(image, size)


def watermark(image: pyvips.Image, args: Args, job: Job) -> pyvips.Image:
    """Lay another source over the image.

    `args`: its source path, x and y (pixels, negative from the right or bottom, `Np`
    for percent, `center`, or `repeat` to tile), its transparency in percent, and
    optionally the largest share of the image's width and height it may cover.
    """
    mark = load_extra(job.extras[str(args[0])])
    mark = with_alpha(as_rgb(mark))
    transparency = float(args[3]) if len(args) > 3 else 0.0
    if transparency:
        colour_bands, alpha = split_alpha(mark)
        mark = join_alpha(colour_bands, alpha * ((100 - transparency) / 100), "srgb")
    width_share = ratio(args[4]) if len(args) > 4 else None
    height_share = ratio(args[5]) if len(args) > 5 else None
    if width_share or height_share:
        size = watermark_size(
            (image.width, image.height), (mark.width, mark.height), width_share, height_share
        )
        mark = resized(mark, size)
    base = with_alpha(as_rgb(image))
    if "repeat" in (str(args[1]), str(args[2])):
        # One layer of copies, laid once: thousands of small marks would each be an
        # operation in libvips' pipeline.
        mark = tiled(mark, base, str(args[1]) == "repeat", str(args[2]) == "repeat")
    left = positions(str(args[1]), image.width, mark.width)
    top = positions(str(args[2]), image.height, mark.height)
    base = base.composite2(mark, "over", x=left, y=top).cast("uchar").copy(interpretation="srgb")
    return base if image.hasalpha() else base.flatten().cast("uchar")


def tiled(mark: pyvips.Image, base: pyvips.Image, across: bool, down: bool) -> pyvips.Image:
    """The mark repeated over the base's width, height or both (and cut to it)."""
    times_x = math.ceil(base.width / mark.width) if across else 1
    times_y = math.ceil(base.height / mark.height) if down else 1
    layer = mark.replicate(times_x, times_y)
    width = base.width if across else mark.width
    height = base.height if down else mark.height
    return layer.crop(0, 0, width, height)


def ratio(value: FilterArg) -> float | None:
    return float(value) / 100 if str(value) != "none" and float(value) > 0 else None


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


def positions(spec: str, outer: int, inner: int) -> int:
    """Where the mark starts along one axis (a repeated mark is laid from 0)."""
    if spec == "repeat":
        return 0
    if spec == "center":
        return (outer - inner) // 2
    if spec.endswith("p"):
        value = round(outer * abs(int(spec[:-1])) / 100)
        offset = -value if spec.startswith("-") else value
    else:
        offset = int(spec)
    if spec.startswith("-"):
        return outer - inner + offset
    return offset


def load_extra(original: Original) -> pyvips.Image:
    """Another source, upright and 8-bit sRGB, opened as strictly as the original (its
    header was checked against the limits with the original's)."""
    return to_srgb(open_any(original).autorot()).copy_memory()


FILTERS: dict[str, Callable[[pyvips.Image, Args, Job], pyvips.Image]] = {
    "grayscale": grayscale,
    "bitonal": bitonal,
    "brightness": brightness,
    "contrast": contrast,
    "saturation": saturation,
    "rgb": rgb,
    "blur": blur,
    "sharpen": sharpen,
    "noise": noise,
    "equalize": equalize,
    "convolution": convolution,
    "round_corner": round_corner,
    "background_color": background_color,
    "fill": fill,
    "proportion": proportion,
    "watermark": watermark,
}


def apply(image: pyvips.Image, step: Filter, job: Job) -> pyvips.Image:
    return FILTERS[step.name](image, step.args, job)
