"""Sizes and rectangles as pure functions of the plan and the source's header.

Kept apart from pixels so every rule of DESIGN.md's "Sizes" paragraph can be tested with
plain numbers. `layout` works out every size of a plan once, from the header, before any
pixel is read; the engine draws what it says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fitter.errors import InvalidRequest, Problem
from fitter.plan import Fit, Gravity, Mode, Plan, Region, Unit

Size = tuple[int, int]
Box = tuple[int, int, int, int]


def round_half_up(value: float) -> int:
    return max(1, math.floor(value + 0.5))


@dataclass(frozen=True)
class ResizeGeometry:
    """Scale to `scaled`, then crop to `crop` (cover) or pad to `canvas` (contain)."""

    scaled: Size
    crop: Size | None = None
    canvas: Size | None = None

    @property
    def output(self) -> Size:
        return self.canvas or self.crop or self.scaled


def resize_geometry(
    source: Size,
    width: int,
    height: int,
    fit: Fit,
    upscale: bool,
    limit: Size,
    scale: float = 0.0,
) -> ResizeGeometry:
    """Where a thumbnail or resize of a `source`-sized image ends up.

    A missing (0) side is derived from the aspect ratio, and then every fit gives that
    box. `upscale=False` caps the scale at 1 in the way each fit allows: for a derived box
    larger than the source, only `contain` differs (it pads to the box). With neither side
    given, the box is the source's size times `scale`.
    """
    src_w, src_h = source
    if not (width or height):
        box = (round_half_up(src_w * scale), round_half_up(src_h * scale))
        check_box(box, limit, derived="")
        return ResizeGeometry(scaled=box if upscale or scale <= 1 else source)
    if width and height:
        box = (width, height)
    elif width:
        box = (width, round_half_up(src_h * width / src_w))
    else:
        box = (round_half_up(src_w * height / src_h), height)
    check_box(box, limit, derived="" if width and height else "height" if width else "width")
    if not (width and height):
        scale = box[0] / src_w if width else box[1] / src_h
        if upscale or scale <= 1:
            # The box has the source's shape: every fit gives exactly that box.
            return ResizeGeometry(scaled=box)

    box_w, box_h = box
    if fit is Fit.FILL:
        if upscale:
            return ResizeGeometry(scaled=box)
        return ResizeGeometry(scaled=(min(box_w, src_w), min(box_h, src_h)))

    ratios = (box_w / src_w, box_h / src_h)
    scale = max(ratios) if fit in (Fit.COVER, Fit.OUTSIDE) else min(ratios)
    if not upscale:
        scale = min(scale, 1.0)
    scaled = (round_half_up(src_w * scale), round_half_up(src_h * scale))
    if fit is Fit.COVER:
        return ResizeGeometry(scaled=scaled, crop=(min(box_w, scaled[0]), min(box_h, scaled[1])))
    if fit is Fit.CONTAIN:
        # Rounding may overshoot the box by one pixel on the fitted side.
        scaled = (min(scaled[0], box_w), min(scaled[1], box_h))
        return ResizeGeometry(scaled=scaled, canvas=box)
    return ResizeGeometry(scaled=scaled)


def check_box(box: Size, limit: Size, derived: str, why: str = "") -> None:
    problems = []
    for name, value, most in (("width", box[0], limit[0]), ("height", box[1], limit[1])):
        if value > most:
            how = "derived from the aspect ratio, " if name == derived else ""
            what = f"the {name} of {why}" if why else name
            problems.append(Problem(name, f"{what} {how}{value} is over the limit of {most}"))
    if problems:
        raise InvalidRequest(problems)


def gravity_offset(outer: Size, inner: Size, gravity: Gravity) -> tuple[int, int]:
    """The top-left corner that places `inner` inside `outer` by a compass gravity.

    smart and entropy are not compass points; they fall back to the centre here, and
    the engine uses libvips' own search where it applies them.
    """
    spare_w, spare_h = outer[0] - inner[0], outer[1] - inner[1]
    name = gravity.value
    left = 0 if name.endswith("west") else spare_w if name.endswith("east") else spare_w // 2
    top = 0 if name.startswith("north") else spare_h if name.startswith("south") else spare_h // 2
    return left, top


def crop_rect(
    source: Size, x: int | None, y: int | None, width: int, height: int, gravity: Gravity
) -> tuple[int, int, int, int]:
    """The rectangle `(left, top, width, height)` a crop takes, clipped to the image."""
    src_w, src_h = source
    if x is None or y is None:
        size = (min(width, src_w), min(height, src_h))
        left, top = gravity_offset(source, size, gravity)
        return left, top, size[0], size[1]
    problems = []
    if x >= src_w:
        problems.append(Problem("x", f"x {x} is outside the image (width {src_w})"))
    if y >= src_h:
        problems.append(Problem("y", f"y {y} is outside the image (height {src_h})"))
    if problems:
        raise InvalidRequest(problems)
    return x, y, min(width, src_w - x), min(height, src_h - y)


def region_box(region: Region | None, source: Size) -> Box:
    """The rectangle `(left, top, width, height)` a region takes, clipped to the image.

    A region with no area inside the image is a 400: there is nothing to show.
    """
    src_w, src_h = source
    if region is None:
        return 0, 0, src_w, src_h
    if region.unit is Unit.SQUARE:
        side = min(src_w, src_h)
        return (src_w - side) // 2, (src_h - side) // 2, side, side
    left, top, width, height = region.left, region.top, region.width, region.height
    if region.unit is Unit.PERCENT:
        left, width = left * src_w / 100, width * src_w / 100
        top, height = top * src_h / 100, height * src_h / 100
    x, y = max(0, math.floor(left + 0.5)), max(0, math.floor(top + 0.5))
    right = min(src_w, math.floor(left + width + 0.5))
    bottom = min(src_h, math.floor(top + height + 0.5))
    if right <= x or bottom <= y:
        raise InvalidRequest.one(
            "region", f"the region is empty or outside the image ({src_w}x{src_h})"
        )
    return x, y, right - x, bottom - y


@dataclass(frozen=True)
class Layout:
    """Every size of one plan on one source, from its header.

    `region` is the box the size stage starts from in the upright source (the whole
    source without a region), `resize` where a thumbnail or resize ends up, `crop` the
    box a crop takes inside the region, `output` the answer's size. With a trim the
    region is only known from the pixels: these are the untrimmed sizes, which bound the
    trimmed ones (a trim only makes the image smaller), and `exact` is False.
    """

    region: Box
    output: Size
    resize: ResizeGeometry | None = None
    crop: Box | None = None
    exact: bool = True


def layout(plan: Plan, source: Size, limit: Size) -> Layout:
    """The plan's sizes on a `source`-sized upright image, or InvalidRequest when one
    breaks a rule or a limit: every stage's problems are found from the header alone (so
    `/show` can refuse at once instead of failing in the background)."""
    region = region_box(plan.region, source)
    size, resize, crop = size_stage(plan, (region[2], region[3]), limit)
    what = "the flipped image" if plan.direction else "the image"
    if plan.turned:
        size, what = rotated_size(size, plan.degree), "the rotated image"
    for step in plan.filters:
        size = step.resize(size)
    check_box(size, limit, derived="", why=what)
    return Layout(region, size, resize, crop, exact=plan.trim is None)


def size_stage(
    plan: Plan, part: Size, limit: Size
) -> tuple[Size, ResizeGeometry | None, Box | None]:
    """The size after the size stage for a `part`-sized region, and how it is reached: the
    resize geometry (thumbnail, resize) or the crop's box inside the region (crop)."""
    if plan.mode.resizes:
        resize = resize_geometry(
            part, plan.width, plan.height, plan.fit, plan.upscale, limit, plan.scale
        )
        return resize.output, resize, None
    if plan.mode is Mode.CROP:
        crop = crop_rect(part, plan.x, plan.y, plan.width, plan.height, plan.gravity)
        return (crop[2], crop[3]), None, crop
    return part, None, None


def rotated_size(source: Size, degree: float) -> Size:
    """The canvas that holds `source` turned by `degree` clockwise."""
    angle = math.radians(degree % 360)
    cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
    width, height = source
    return round_half_up(width * cos + height * sin), round_half_up(width * sin + height * cos)


def focus_offset(outer: Size, inner: Size, point: tuple[float, float]) -> tuple[int, int]:
    """The top-left corner that centres `inner` on `point`, kept inside `outer`."""
    left = min(max(0, math.floor(point[0] - inner[0] / 2 + 0.5)), outer[0] - inner[0])
    top = min(max(0, math.floor(point[1] - inner[1] / 2 + 0.5)), outer[1] - inner[1])
    return left, top
