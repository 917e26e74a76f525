"""Sizes and rectangles with plain numbers, worked out by hand from DESIGN.md's "Sizes" and
"crop" paragraphs."""

from __future__ import annotations

import pytest

from fitter import geometry
from fitter.errors import InvalidRequest
from fitter.geometry import (
    ResizeGeometry,
    check_box,
    crop_rect,
    gravity_offset,
    resize_geometry,
)
from fitter.plan import Direction, Fit, Gravity, Mode, Plan, Region, Trim, Unit
from fitter.plan.filters import Fill, Proportion

SOURCE = (2000, 1000)
LIMIT = (8192, 8192)


def params_of(error: pytest.ExceptionInfo[InvalidRequest]) -> list[str | None]:
    assert error.value.status == 400
    return [problem.param for problem in error.value.problems]


# --- every fit x upscale on a 2000x1000 source ----------------------------------------------
#
# Into 300x300 the ratios are (0.15, 0.3); into 4000x4000 they are (2, 4).
#   cover:   max ratio, then crop to min(box, scaled) per axis
#   contain: min ratio, then pad to the full box
#   fill:    the box, each axis capped at the source when upscale is false
#   inside:  min ratio; outside: max ratio; both capped at scale 1 when upscale is false

FITS = [
    # fit, box, upscale, scaled, crop, canvas, output
    (Fit.COVER, 300, True, (600, 300), (300, 300), None, (300, 300)),
    (Fit.COVER, 300, False, (600, 300), (300, 300), None, (300, 300)),
    (Fit.COVER, 4000, True, (8000, 4000), (4000, 4000), None, (4000, 4000)),
    (Fit.COVER, 4000, False, (2000, 1000), (2000, 1000), None, (2000, 1000)),
    (Fit.CONTAIN, 300, True, (300, 150), None, (300, 300), (300, 300)),
    (Fit.CONTAIN, 300, False, (300, 150), None, (300, 300), (300, 300)),
    (Fit.CONTAIN, 4000, True, (4000, 2000), None, (4000, 4000), (4000, 4000)),
    (Fit.CONTAIN, 4000, False, (2000, 1000), None, (4000, 4000), (4000, 4000)),
    (Fit.FILL, 300, True, (300, 300), None, None, (300, 300)),
    (Fit.FILL, 300, False, (300, 300), None, None, (300, 300)),
    (Fit.FILL, 4000, True, (4000, 4000), None, None, (4000, 4000)),
    (Fit.FILL, 4000, False, (2000, 1000), None, None, (2000, 1000)),
    (Fit.INSIDE, 300, True, (300, 150), None, None, (300, 150)),
    (Fit.INSIDE, 300, False, (300, 150), None, None, (300, 150)),
    (Fit.INSIDE, 4000, True, (4000, 2000), None, None, (4000, 2000)),
    (Fit.INSIDE, 4000, False, (2000, 1000), None, None, (2000, 1000)),
    (Fit.OUTSIDE, 300, True, (600, 300), None, None, (600, 300)),
    (Fit.OUTSIDE, 300, False, (600, 300), None, None, (600, 300)),
    (Fit.OUTSIDE, 4000, True, (8000, 4000), None, None, (8000, 4000)),
    (Fit.OUTSIDE, 4000, False, (2000, 1000), None, None, (2000, 1000)),
]


@pytest.mark.parametrize(
    ("fit", "box", "upscale", "scaled", "crop", "canvas", "output"),
    FITS,
    ids=[f"{f.value}-{b}-{'up' if u else 'noup'}" for f, b, u, *_ in FITS],
)
def test_fit_and_upscale(
    fit: Fit,
    box: int,
    upscale: bool,
    scaled: tuple[int, int],
    crop: tuple[int, int] | None,
    canvas: tuple[int, int] | None,
    output: tuple[int, int],
) -> None:
    geometry = resize_geometry(SOURCE, box, box, fit, upscale, LIMIT)
    assert geometry == ResizeGeometry(scaled=scaled, crop=crop, canvas=canvas)
    assert geometry.output == output


def test_fit_on_a_portrait_source() -> None:
    # 1000x2000 into 300x200: ratios (0.3, 0.1).
    source = (1000, 2000)
    assert resize_geometry(source, 300, 200, Fit.COVER, True, LIMIT).output == (300, 200)
    assert resize_geometry(source, 300, 200, Fit.COVER, True, LIMIT).scaled == (300, 600)
    assert resize_geometry(source, 300, 200, Fit.CONTAIN, True, LIMIT).scaled == (100, 200)
    assert resize_geometry(source, 300, 200, Fit.CONTAIN, True, LIMIT).output == (300, 200)
    assert resize_geometry(source, 300, 200, Fit.INSIDE, True, LIMIT).output == (100, 200)
    assert resize_geometry(source, 300, 200, Fit.OUTSIDE, True, LIMIT).output == (300, 600)
    assert resize_geometry(source, 300, 200, Fit.FILL, True, LIMIT).output == (300, 200)


def test_fill_caps_each_axis_separately() -> None:
    # Wider than the source, shorter than it: only the width is capped.
    assert resize_geometry(SOURCE, 3000, 500, Fit.FILL, False, LIMIT).output == (2000, 500)
    assert resize_geometry(SOURCE, 500, 3000, Fit.FILL, False, LIMIT).output == (500, 1000)
    assert resize_geometry(SOURCE, 3000, 500, Fit.FILL, True, LIMIT).output == (3000, 500)


def test_cover_without_upscale_crops_to_the_scaled_image() -> None:
    # 2000x1000 into 1500x1500: max ratio 1.5 capped at 1, so scaled 2000x1000,
    # cropped to min(box, scaled) = 1500x1000: smaller than the box.
    geometry = resize_geometry(SOURCE, 1500, 1500, Fit.COVER, False, LIMIT)
    assert geometry.scaled == (2000, 1000)
    assert geometry.output == (1500, 1000)


def test_partial_upscale() -> None:
    # 2000x1000 into 2500x600: ratios (1.25, 0.6).
    assert resize_geometry(SOURCE, 2500, 600, Fit.INSIDE, False, LIMIT).output == (1200, 600)
    assert resize_geometry(SOURCE, 2500, 600, Fit.OUTSIDE, False, LIMIT).output == (2000, 1000)
    assert resize_geometry(SOURCE, 2500, 600, Fit.OUTSIDE, True, LIMIT).output == (2500, 1250)
    assert resize_geometry(SOURCE, 2500, 600, Fit.COVER, False, LIMIT).output == (2000, 600)
    assert resize_geometry(SOURCE, 2500, 600, Fit.COVER, True, LIMIT).output == (2500, 600)
    contain = resize_geometry(SOURCE, 2500, 600, Fit.CONTAIN, False, LIMIT)
    assert (contain.scaled, contain.output) == ((1200, 600), (2500, 600))


# --- derived sides --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "width", "height", "box"),
    [
        ((2000, 1000), 300, 0, (300, 150)),
        ((2000, 1000), 0, 300, (600, 300)),
        ((2000, 1000), 301, 0, (301, 151)),  # 150.5 rounds half up
        ((2000, 1000), 0, 151, (302, 151)),
        ((1000, 25), 100, 0, (100, 3)),  # 2.5 → 3, not banker's 2
        ((1000, 15), 100, 0, (100, 2)),  # 1.5 → 2
        ((1000, 14), 100, 0, (100, 1)),  # 1.4 → 1
        ((1000, 5), 100, 0, (100, 1)),  # 0.5 → 1
        ((2000, 1), 300, 0, (300, 1)),  # 0.15 → 0, at least 1
        ((1, 2000), 0, 300, (1, 300)),
        ((3, 7), 0, 10, (4, 10)),  # 4.2857 → 4
        ((7, 3), 10, 0, (10, 4)),
        ((2880, 1800), 200, 0, (200, 125)),
        ((2560, 1600), 0, 333, (533, 333)),  # 532.8 → 533
    ],
)
@pytest.mark.parametrize("fit", list(Fit))
def test_derived_side(
    source: tuple[int, int], width: int, height: int, box: tuple[int, int], fit: Fit
) -> None:
    # Scaling down (or to a box no larger than the source), every fit gives the derived box,
    # with or without upscale.
    upscales = (True, False) if box[0] <= source[0] and box[1] <= source[1] else (True,)
    for upscale in upscales:
        assert resize_geometry(source, width, height, fit, upscale, LIMIT).output == box


@pytest.mark.parametrize("fit", list(Fit))
def test_derived_side_upscaling(fit: Fit) -> None:
    assert resize_geometry(SOURCE, 4000, 0, fit, True, LIMIT).output == (4000, 2000)
    assert resize_geometry(SOURCE, 0, 3000, fit, True, LIMIT).output == (6000, 3000)


@pytest.mark.parametrize("fit", [Fit.COVER, Fit.FILL, Fit.INSIDE, Fit.OUTSIDE])
def test_derived_side_without_upscale_keeps_the_source_size(fit: Fit) -> None:
    assert resize_geometry(SOURCE, 4000, 0, fit, False, LIMIT).output == SOURCE
    assert resize_geometry(SOURCE, 0, 3000, fit, False, LIMIT).output == SOURCE


# --- the seed's demo ------------------------------------------------------------------------


def test_resize_demo_2880x1800_to_200x300() -> None:
    # mode=resize (fit=fill): the exact box, aspect ignored.
    geometry = resize_geometry((2880, 1800), 200, 300, Fit.FILL, True, LIMIT)
    assert geometry == ResizeGeometry(scaled=(200, 300))
    assert geometry.output == (200, 300)


def test_thumbnail_demo_2880x1800_to_200x300() -> None:
    # mode=thumbnail (fit=cover): ratios (0.0694, 0.1667), scaled 480x300, cropped 200x300.
    geometry = resize_geometry((2880, 1800), 200, 300, Fit.COVER, True, LIMIT)
    assert geometry == ResizeGeometry(scaled=(480, 300), crop=(200, 300))


# --- limits ---------------------------------------------------------------------------------


def test_derived_height_over_the_limit() -> None:
    # 2000x1000 at width 300 derives height 150, over a height limit of 100.
    with pytest.raises(InvalidRequest) as error:
        resize_geometry(SOURCE, 300, 0, Fit.COVER, True, (8192, 100))
    assert params_of(error) == ["height"]
    assert "150" in str(error.value)


def test_derived_width_over_the_limit() -> None:
    with pytest.raises(InvalidRequest) as error:
        resize_geometry(SOURCE, 0, 300, Fit.FILL, True, (500, 8192))
    assert params_of(error) == ["width"]


def test_derived_side_at_the_limit() -> None:
    assert resize_geometry(SOURCE, 300, 0, Fit.COVER, True, (300, 150)).output == (300, 150)


def test_given_box_over_the_limit() -> None:
    with pytest.raises(InvalidRequest) as error:
        resize_geometry(SOURCE, 9000, 9000, Fit.COVER, True, LIMIT)
    assert params_of(error) == ["width", "height"]


@pytest.mark.parametrize(
    ("box", "limit", "params"),
    [
        ((100, 100), (100, 100), []),
        ((101, 100), (100, 100), ["width"]),
        ((100, 101), (100, 100), ["height"]),
        ((101, 101), (100, 100), ["width", "height"]),
    ],
)
def test_check_box(box: tuple[int, int], limit: tuple[int, int], params: list[str]) -> None:
    if not params:
        assert check_box(box, limit, derived="height") is None
        return
    with pytest.raises(InvalidRequest) as error:
        check_box(box, limit, derived="height")
    assert params_of(error) == params


# --- crop -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "width", "height", "rect"),
    [
        (0, 0, 300, 200, (0, 0, 300, 200)),
        (100, 50, 300, 200, (100, 50, 300, 200)),
        (1700, 800, 300, 200, (1700, 800, 300, 200)),  # exactly at the corner
        (1900, 900, 300, 300, (1900, 900, 100, 100)),  # past both edges: clipped
        (1900, 0, 300, 300, (1900, 0, 100, 300)),  # past the right edge
        (0, 900, 300, 300, (0, 900, 300, 100)),  # past the bottom edge
        (0, 0, 5000, 5000, (0, 0, 2000, 1000)),  # larger than the image
        (1999, 999, 10, 10, (1999, 999, 1, 1)),  # the last pixel
    ],
)
def test_crop_rect_with_origin(
    x: int, y: int, width: int, height: int, rect: tuple[int, int, int, int]
) -> None:
    # Gravity plays no part once x and y are given.
    for gravity in (Gravity.CENTER, Gravity.SOUTHEAST):
        assert crop_rect(SOURCE, x, y, width, height, gravity) == rect


@pytest.mark.parametrize(
    ("x", "y", "params"),
    [
        (2000, 0, ["x"]),
        (5000, 10, ["x"]),
        (0, 1000, ["y"]),
        (10, 4000, ["y"]),
        (2000, 1000, ["x", "y"]),
    ],
)
def test_crop_origin_outside(x: int, y: int, params: list[str]) -> None:
    with pytest.raises(InvalidRequest) as error:
        crop_rect(SOURCE, x, y, 100, 100, Gravity.CENTER)
    assert params_of(error) == params


@pytest.mark.parametrize(
    ("gravity", "rect"),
    [
        # 300x200 inside 2000x1000: 1700 and 800 spare.
        (Gravity.CENTER, (850, 400, 300, 200)),
        (Gravity.NORTH, (850, 0, 300, 200)),
        (Gravity.SOUTH, (850, 800, 300, 200)),
        (Gravity.EAST, (1700, 400, 300, 200)),
        (Gravity.WEST, (0, 400, 300, 200)),
        (Gravity.NORTHEAST, (1700, 0, 300, 200)),
        (Gravity.NORTHWEST, (0, 0, 300, 200)),
        (Gravity.SOUTHEAST, (1700, 800, 300, 200)),
        (Gravity.SOUTHWEST, (0, 800, 300, 200)),
    ],
)
def test_crop_placed_by_gravity(gravity: Gravity, rect: tuple[int, int, int, int]) -> None:
    assert crop_rect(SOURCE, None, None, 300, 200, gravity) == rect


@pytest.mark.parametrize(
    ("gravity", "rect"),
    [
        # 3000x200 is clipped to 2000x200; only the vertical placement is left.
        (Gravity.CENTER, (0, 400, 2000, 200)),
        (Gravity.NORTH, (0, 0, 2000, 200)),
        (Gravity.SOUTHEAST, (0, 800, 2000, 200)),
        (Gravity.WEST, (0, 400, 2000, 200)),
    ],
)
def test_crop_by_gravity_larger_than_the_image(
    gravity: Gravity, rect: tuple[int, int, int, int]
) -> None:
    assert crop_rect(SOURCE, None, None, 3000, 200, gravity) == rect


def test_crop_by_gravity_covering_the_image() -> None:
    for gravity in (Gravity.CENTER, Gravity.SOUTHWEST):
        assert crop_rect(SOURCE, None, None, 9000, 9000, gravity) == (0, 0, 2000, 1000)


# --- gravity_offset -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gravity", "offset"),
    [
        # 30x20 inside 101x51: 71 and 31 spare; the centre rounds down.
        (Gravity.CENTER, (35, 15)),
        (Gravity.NORTH, (35, 0)),
        (Gravity.SOUTH, (35, 31)),
        (Gravity.EAST, (71, 15)),
        (Gravity.WEST, (0, 15)),
        (Gravity.NORTHEAST, (71, 0)),
        (Gravity.NORTHWEST, (0, 0)),
        (Gravity.SOUTHEAST, (71, 31)),
        (Gravity.SOUTHWEST, (0, 31)),
    ],
)
def test_gravity_offset(gravity: Gravity, offset: tuple[int, int]) -> None:
    assert gravity_offset((101, 51), (30, 20), gravity) == offset


@pytest.mark.parametrize("gravity", list(Gravity))
def test_gravity_offset_same_size(gravity: Gravity) -> None:
    assert gravity_offset((300, 200), (300, 200), gravity) == (0, 0)


@pytest.mark.parametrize(
    ("outer", "inner", "offset"),
    [
        ((300, 300), (300, 150), (0, 75)),  # contain 2000x1000 into 300x300
        ((4000, 4000), (2000, 1000), (1000, 1500)),
        ((600, 300), (300, 300), (150, 0)),  # the crop window of cover into 300x300
    ],
)
def test_gravity_offset_centres(
    outer: tuple[int, int], inner: tuple[int, int], offset: tuple[int, int]
) -> None:
    assert gravity_offset(outer, inner, Gravity.CENTER) == offset


# --- layout: every size of a plan, from the header alone -------------------------------------


def test_layout_of_a_resize_in_a_region() -> None:
    plan = Plan(path="p", region=Region(Unit.PIXELS, 100, 50, 400, 200), width=100, height=100)
    layout = geometry.layout(plan, SOURCE, LIMIT)
    assert layout.region == (100, 50, 400, 200)
    assert layout.resize == ResizeGeometry(scaled=(200, 100), crop=(100, 100))
    assert (layout.output, layout.crop, layout.exact) == ((100, 100), None, True)


def test_layout_of_a_crop_is_inside_its_region() -> None:
    plan = Plan(
        path="p", region=Region(Unit.PERCENT, 50, 0, 50, 100), mode=Mode.CROP, width=300,
        height=200, gravity=Gravity.SOUTHEAST,
    )  # fmt: skip
    layout = geometry.layout(plan, SOURCE, LIMIT)
    assert layout.region == (1000, 0, 1000, 1000)
    assert layout.crop == (700, 800, 300, 200)
    assert (layout.output, layout.resize) == ((300, 200), None)


def test_layout_with_a_trim_bounds_what_the_pixels_will_say() -> None:
    layout = geometry.layout(Plan(path="p", trim=Trim(), width=500), SOURCE, LIMIT)
    assert layout.exact is False
    assert layout.output == (500, 250)  # the untrimmed size: a trim only makes it smaller


def test_layout_turns_then_filters_the_size() -> None:
    plan = Plan(path="p", mode=Mode.KEEP, degree=90, filters=(Fill(1500, 2500), Proportion(0.5)))
    layout = geometry.layout(plan, SOURCE, LIMIT)
    # 2000x1000 turned is 1000x2000, filled to at least 1500x2500, then halved.
    assert layout.output == (750, 1250)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (Plan(path="p", mode=Mode.KEEP, degree=45), "the width of the rotated image"),
        (Plan(path="p", mode=Mode.KEEP, direction=Direction.BOTH), "the width of the flipped"),
        (Plan(path="p", mode=Mode.KEEP, filters=(Fill(9000, 10),)), "the width of the image"),
    ],
)
def test_layout_refuses_an_answer_over_the_limit_and_says_why(plan: Plan, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        geometry.layout(plan, SOURCE, (1500, 2500))
    assert caught.value.problems[0].param == "width"
    assert message in caught.value.problems[0].message
