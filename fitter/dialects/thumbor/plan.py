"""`to_plan`: a read `ThumborUrl` (and, when it matters, the source's size) into fitter's
Plan, the one step where thumbor's meaning becomes fitter's.
"""

from __future__ import annotations

from dataclasses import replace

from fitter.dialects.thumbor.grammar import ORIG, ThumborUrl
from fitter.dialects.thumbor.sizes import (
    region_size,
    requested_size,
    target_size,
    upscaled_size,
)
from fitter.plan import (
    FORMAT_NAMES,
    ORIGINAL,
    Direction,
    Filter,
    Fit,
    Gravity,
    Mode,
    Plan,
    Region,
    Unit,
)
from fitter.plan.filters import Fill

GRAVITIES = {
    ("left", "top"): Gravity.NORTHWEST,
    ("center", "top"): Gravity.NORTH,
    ("right", "top"): Gravity.NORTHEAST,
    ("left", "middle"): Gravity.WEST,
    ("center", "middle"): Gravity.CENTER,
    ("right", "middle"): Gravity.EAST,
    ("left", "bottom"): Gravity.SOUTHWEST,
    ("center", "bottom"): Gravity.SOUTH,
    ("right", "bottom"): Gravity.SOUTHEAST,
}


def to_plan(url: ThumborUrl, source: tuple[int, int] | None, default_format: str) -> Plan:
    """The Plan for `url`; `source` is the upright source's size when `needs_source`.

    Without it (or with `trim`, whose result is only known from the pixels) an `orig`
    side is derived from the aspect ratio like a 0, rounded half up.
    """
    options = url.options
    width = 0 if url.width == ORIG else url.width
    height = 0 if url.height == ORIG else url.height
    box = (width, height)  # what `fill` pads to: the request's sides, not the derived ones
    if source is not None and url.trim is None and (url.width or url.height):
        start = region_size(url, source)
        box = requested_size(url, start, source)
        width, height = target_size(box, start)
        if url.adaptive and (
            (start[0] < start[1] and width > height) or (start[0] > start[1] and width < height)
        ):
            width, height = height, width
            box = (box[1], box[0])
    sized = bool(width or height)
    plan = Plan(
        path=url.path,
        trim=url.trim,
        region=region_of(url.crop),
        mode=Mode.RESIZE if sized else Mode.KEEP,
        width=width,
        height=height,
        direction=direction_of(url),
        degree=float(-options.rotate % 360),
        filters=pixel_filters(url, box),
        background=options.background,
        format=options.format or FORMAT_NAMES.get(default_format, ORIGINAL),
        quality=options.quality,
        max_bytes=options.max_bytes,
        keep_icc=options.keep_icc,
        max_age=options.max_age,
    )
    if not sized:
        return plan
    if url.fit_in:
        fit = Fit.OUTSIDE if url.full else Fit.INSIDE
        # thumbor's full-fit-in always scales to cover the box; fit-in never enlarges
        # unless upscale() is given.
        upscale = True if url.full else bool(options.upscale)
        if upscale and not url.full and source is not None and url.trim is None:
            enlarged = upscaled_size(region_size(url, source), (width, height))
            if enlarged is not None:
                return replace(plan, width=enlarged[0], height=enlarged[1], fit=Fit.FILL)
        return replace(plan, fit=fit, upscale=upscale)
    gravity = Gravity.SMART if url.smart else GRAVITIES[(url.halign, url.valign)]
    return replace(
        plan,
        fit=Fit.FILL if options.stretch else Fit.COVER,
        gravity=gravity,
        focus=focus_of(inside_crop(options.focal, url.crop)),
        upscale=options.upscale is not False,
    )


def region_of(crop: tuple[int, int, int, int] | None) -> Region | None:
    if crop is None:
        return None
    left, top, right, bottom = crop
    return Region(Unit.PIXELS, left=left, top=top, width=right - left, height=bottom - top)


def direction_of(url: ThumborUrl) -> Direction | None:
    if url.flip_h and url.flip_v:
        return Direction.BOTH
    if url.flip_h:
        return Direction.HORIZONTAL
    if url.flip_v:
        return Direction.VERTICAL
    return None


def inside_crop(
    boxes: tuple[tuple[int, int, int, int], ...], crop: tuple[int, int, int, int] | None
) -> tuple[tuple[int, int, int, int], ...]:
    """The focal boxes whose centre is inside the crop (thumbor forgets the others)."""
    if crop is None:
        return boxes
    left, top, right, bottom = crop
    return tuple(
        b for b in boxes if left <= b[0] + b[2] // 2 <= right and top <= b[1] + b[3] // 2 <= bottom
    )


def focus_of(boxes: tuple[tuple[int, int, int, int], ...]) -> tuple[float, float] | None:
    """The centre of the focal boxes, each weighted by its area (thumbor's centre of mass)."""
    if not boxes:
        return None
    total = sum(w * h for _, _, w, h in boxes)
    x = sum((left + w // 2) * w * h for left, _, w, h in boxes) // total
    y = sum((top + h // 2) * w * h for _, top, w, h in boxes) // total
    return float(x), float(y)


def pixel_filters(url: ThumborUrl, box: tuple[int, int]) -> tuple[Filter, ...]:
    """The pixel filters in URL order, with `fill` told its box (fit-in modes only: without
    fit-in the image already is the box)."""
    if not url.fit_in:
        return url.options.pixels
    return tuple(
        replace(f, width=box[0], height=box[1]) if isinstance(f, Fill) else f
        for f in url.options.pixels
    )
