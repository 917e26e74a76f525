"""The Plan's stages in order (trim, region, size, flip, rotate, filters, output), run by
the real engine on real pixels.

The dialects that use them (thumbor, IIIF) are tested end to end through the server in
their own files; here each stage is checked alone and in combination, against pixels of
a synthetic gradient whose every pixel differs.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import pyvips

from fitter import geometry
from fitter.celery_app import message_of, plan_of
from fitter.errors import GatewayTimeout, InvalidRequest
from fitter.models import SourceInfo
from fitter.plan import (
    Corner,
    Direction,
    Fit,
    Gravity,
    ImageFormat,
    Mode,
    Output,
    Plan,
    Region,
    Trim,
    Unit,
    resolve_output,
    variant_key,
)
from fitter.plan.filters import (
    Bitonal,
    Brightness,
    Fill,
    Grayscale,
    Position,
    Proportion,
    RoundCorner,
    Watermark,
)
from fitter.service import Opened, Target
from fitter.storage import SourceStat
from support import images as synth
from support import rendering

GRADIENT = synth.gradient(300, 200)
PNG = GRADIENT.pngsave_buffer()
PNG_INFO = SourceInfo(format="png", width=300, height=200)
JPEG = GRADIENT.jpegsave_buffer(Q=95)
JPEG_INFO = SourceInfo(format="jpeg", width=300, height=200)
LIMIT = (8192, 8192)


def render(plan: Plan, original: bytes = PNG, info: SourceInfo = PNG_INFO) -> pyvips.Image:
    # The sizes from the header must agree with the pixels (a trim's size is only known
    # from the pixels: the header gives an upper bound).
    expected = geometry.layout(plan, (info.width, info.height), LIMIT).output
    image = synth.load(rendering.render(plan, original, info).data)
    if plan.trim is None:
        assert (image.width, image.height) == expected
    else:
        assert image.width <= expected[0] and image.height <= expected[1]
    return image


def at(image: pyvips.Image, x: int, y: int) -> list[float]:
    return [round(v) for v in image.getpoint(x, y)[:3]]


def plan(**fields: object) -> Plan:
    return Plan(path="g.png", format=ImageFormat.PNG, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("region", "box"),
    [
        (Region(Unit.PIXELS, 10, 20, 50, 40), (10, 20, 50, 40)),
        (Region(Unit.PIXELS, 280, 190, 50, 40), (280, 190, 20, 10)),  # clipped to the image
        (Region(Unit.PERCENT, 10, 25, 50, 50), (30, 50, 150, 100)),
        (Region(Unit.PERCENT, 0, 0, 100, 100), (0, 0, 300, 200)),
        (Region(Unit.SQUARE), (50, 0, 200, 200)),
    ],
)
def test_region_box(region: Region, box: tuple[int, int, int, int]) -> None:
    assert geometry.region_box(region, (300, 200)) == box


@pytest.mark.parametrize(
    "region",
    [
        Region(Unit.PIXELS, 300, 0, 10, 10),
        Region(Unit.PIXELS, 0, 200, 10, 10),
        Region(Unit.PIXELS, -20, 0, 10, 10),
        Region(Unit.PIXELS, 10, 10, 0, 10),
        Region(Unit.PERCENT, 100, 0, 10, 10),
    ],
)
def test_a_region_outside_the_image_is_refused(region: Region) -> None:
    with pytest.raises(InvalidRequest) as raised:
        geometry.region_box(region, (300, 200))
    assert raised.value.problems[0].param == "region"


def test_region_takes_those_pixels() -> None:
    image = render(plan(region=Region(Unit.PIXELS, 10, 20, 50, 40), mode=Mode.KEEP))
    assert at(image, 0, 0) == at(GRADIENT, 10, 20)
    assert at(image, 49, 39) == at(GRADIENT, 59, 59)


def test_region_then_resize() -> None:
    region = Region(Unit.PIXELS, 100, 0, 200, 200)
    image = render(plan(region=region, mode=Mode.RESIZE, width=100, height=100, fit=Fit.FILL))
    # The region's right edge becomes the answer's right edge.
    assert at(image, 99, 50) == pytest.approx(at(GRADIENT, 298, 101), abs=6)


def test_a_jpeg_region_decoded_smaller_matches_the_full_decode() -> None:
    """The shrink-on-load path for a region of a JPEG gives what the full decode gives."""
    region = Region(Unit.PIXELS, 40, 40, 240, 160)
    fast = render(
        plan(region=region, mode=Mode.RESIZE, width=30, height=20, fit=Fit.FILL), JPEG, JPEG_INFO
    )
    full = pyvips.Image.new_from_buffer(JPEG, "").extract_area(40, 40, 240, 160)
    full = full.resize(30 / 240, vscale=20 / 160)
    assert (fast.width, fast.height) == (30, 20)
    assert abs(fast.avg() - full.avg()) < 3
    assert (fast - full).abs().max() < 40


def test_scale_is_relative_to_the_region() -> None:
    region = Region(Unit.PIXELS, 0, 0, 100, 50)
    image = render(plan(region=region, mode=Mode.RESIZE, scale=0.5, fit=Fit.FILL))
    assert (image.width, image.height) == (50, 25)


def test_trim_cuts_the_border_of_the_corner_colour() -> None:
    inner = synth.gradient(60, 40)
    framed = inner.embed(12, 7, 90, 60, extend="white").pngsave_buffer()
    info = SourceInfo(format="png", width=90, height=60)
    image = render(plan(trim=Trim(Corner.TOP_LEFT), mode=Mode.KEEP), framed, info)
    assert (image.width, image.height) == (60, 40)
    assert at(image, 0, 0) == at(inner, 0, 0)
    bottom = render(plan(trim=Trim(Corner.BOTTOM_RIGHT), mode=Mode.KEEP), framed, info)
    assert (bottom.width, bottom.height) == (60, 40)


@pytest.mark.parametrize(("tolerance", "size"), [(0, (30, 20)), (8, (30, 20)), (9, (90, 60))])
def test_trim_tolerance_is_a_distance_over_the_bands(tolerance: int, size: tuple[int, int]):
    """(250, 250, 250) is 8.66 from white: trimmed up to a tolerance of 8, not at 9."""
    inner = (pyvips.Image.black(30, 20, bands=3) + 250).cast("uchar")
    framed = inner.embed(5, 5, 90, 60, extend="white").copy(interpretation="srgb")
    info = SourceInfo(format="png", width=90, height=60)
    trim = Trim(Corner.TOP_LEFT, tolerance)
    image = render(plan(trim=trim, mode=Mode.KEEP), framed.pngsave_buffer(), info)
    assert (image.width, image.height) == size


def test_a_region_in_pixels_after_a_trim_is_in_the_source_coordinates() -> None:
    """The crop box a user picked on the original stays on the same pixels after a trim."""
    inner = synth.gradient(60, 40)
    framed = inner.embed(12, 7, 90, 60, extend="white").pngsave_buffer()
    info = SourceInfo(format="png", width=90, height=60)
    region = Region(Unit.PIXELS, 20, 10, 100, 100)  # clipped by the trimmed picture
    image = render(plan(trim=Trim(), region=region, mode=Mode.KEEP), framed, info)
    assert (image.width, image.height) == (60 + 12 - 20, 40 + 7 - 10)
    assert at(image, 0, 0) == at(inner, 20 - 12, 10 - 7)
    # Starting above and left of the trimmed picture, it is clipped to its corner.
    region = Region(Unit.PIXELS, 0, 0, 30, 20)
    image = render(plan(trim=Trim(), region=region, mode=Mode.KEEP), framed, info)
    assert (image.width, image.height) == (30 - 12, 20 - 7)
    assert at(image, 0, 0) == at(inner, 0, 0)


def test_trim_of_an_even_image_keeps_it() -> None:
    flat = (pyvips.Image.black(20, 10) + 200).cast("uchar").pngsave_buffer()
    info = SourceInfo(format="png", width=20, height=10)
    image = render(plan(trim=Trim(), mode=Mode.KEEP), flat, info)
    assert (image.width, image.height) == (20, 10)


@pytest.mark.parametrize(("focus", "left"), [((290, 100), 200), ((10, 100), 0), ((150, 0), 100)])
def test_focus_centres_a_cover_crop(focus: tuple[int, int], left: int) -> None:
    image = render(
        plan(mode=Mode.RESIZE, width=100, height=200, fit=Fit.COVER, focus=focus),
    )
    assert at(image, 0, 0) == at(GRADIENT, left, 0)


def test_flip_and_rotate_run_after_the_size_stage() -> None:
    resized = render(plan(mode=Mode.RESIZE, width=150, height=100, fit=Fit.FILL))
    flipped = render(
        plan(mode=Mode.RESIZE, width=150, height=100, fit=Fit.FILL, direction=Direction.HORIZONTAL)
    )
    assert at(flipped, 0, 0) == at(resized, 149, 0)
    turned = render(
        plan(
            mode=Mode.RESIZE,
            width=150,
            height=100,
            fit=Fit.FILL,
            direction=Direction.HORIZONTAL,
            degree=90,
        )
    )
    # Mirrored, then turned clockwise: the mirrored top-left corner is now top-right.
    assert (turned.width, turned.height) == (100, 150)
    assert at(turned, 99, 0) == at(flipped, 0, 0)


def test_an_odd_angle_grows_the_canvas_after_the_region() -> None:
    region = Region(Unit.PIXELS, 0, 0, 100, 50)
    image = render(plan(region=region, mode=Mode.KEEP, degree=45))
    assert (image.width, image.height) == geometry.rotated_size((100, 50), 45)


def test_filters_run_in_order_after_the_size_stage() -> None:
    grey = render(plan(mode=Mode.RESIZE, width=60, height=40, filters=(Grayscale(),)))
    assert grey.bands in (1, 2)
    bitonal = render(plan(mode=Mode.KEEP, filters=(Bitonal(),)))
    values = {round(v) for v in bitonal.extract_band(0).hist_find().tolist()[0]}
    histogram = bitonal.extract_band(0).hist_find().tolist()[0]
    assert {i for i, count in enumerate(histogram) if count} <= {0, 255}
    assert values  # both black and white are present in a gradient
    assert histogram[0] and histogram[255]


def test_max_bytes_lowers_the_quality_until_it_fits() -> None:
    noise = pyvips.Image.gaussnoise(300, 200, sigma=40, mean=128).cast("uchar")
    noisy = noise.bandjoin([noise, noise]).copy(interpretation="srgb").jpegsave_buffer(Q=95)
    info = SourceInfo(format="jpeg", width=300, height=200)
    base = Plan(path="n.jpg", mode=Mode.KEEP, format=ImageFormat.JPEG, quality=90)
    full = rendering.render(base, noisy, info).data
    limited = Plan(path="n.jpg", mode=Mode.KEEP, format=ImageFormat.JPEG, quality=90,
                   max_bytes=len(full) // 2)  # fmt: skip
    data = rendering.render(limited, noisy, info).data
    assert len(data) <= len(full) // 2
    # Not needlessly small: it is the best quality that fits, well above the minimum.
    lowest = rendering.render(
        limited, noisy, info, output=Output(ImageFormat.JPEG, 1, max_bytes=None)
    ).data
    assert len(data) > len(lowest)


def test_strip_icc_drops_the_profile() -> None:
    with_icc = GRADIENT.icc_transform("srgb").jpegsave_buffer(keep="icc", profile="srgb")
    info = SourceInfo(format="jpeg", width=300, height=200)
    kept = Plan(path="i.jpg", mode=Mode.KEEP, format=ImageFormat.JPEG)
    stripped = Plan(path="i.jpg", mode=Mode.KEEP, format=ImageFormat.JPEG, keep_icc=False)
    for each, has in ((kept, True), (stripped, False)):
        data = rendering.render(each, with_icc, info).data
        fields = pyvips.Image.new_from_buffer(data, "").get_fields()
        assert ("icc-profile-data" in fields) is has


def test_every_stage_is_in_the_key() -> None:
    base = plan(mode=Mode.RESIZE, width=100, height=100)
    variants = [
        base,
        plan(mode=Mode.RESIZE, width=100, height=100, region=Region(Unit.SQUARE)),
        plan(mode=Mode.RESIZE, width=100, height=100, trim=Trim()),
        plan(mode=Mode.RESIZE, width=100, height=100, focus=(1, 2)),
        plan(mode=Mode.RESIZE, width=100, height=100, direction=Direction.VERTICAL),
        plan(mode=Mode.RESIZE, width=100, height=100, degree=90),
        plan(mode=Mode.RESIZE, width=100, height=100, filters=(Grayscale(),)),
        plan(mode=Mode.RESIZE, width=0, height=0, scale=0.5),
        plan(mode=Mode.RESIZE, width=0, height=0, scale=0.25),
    ]
    keys = {variant_key(p, resolve_output(p, PNG_INFO, None), "v") for p in variants}
    assert len(keys) == len(variants)
    # An argument holding a comma is one argument, not two.
    corner = Position("pixels", 0)
    glued = plan(mode=Mode.KEEP, filters=(Watermark("m.png,0", corner, corner, 0),))
    apart = plan(mode=Mode.KEEP, filters=(Watermark("m.png", corner, corner, 0, 0),))
    assert glued.operations() != apart.operations()
    # Cache-Control alone does not make another variant.
    same = plan(mode=Mode.RESIZE, width=100, height=100, max_age=5)
    assert variant_key(same, resolve_output(same, PNG_INFO, None), "v") == variant_key(
        base, resolve_output(base, PNG_INFO, None), "v"
    )
    outputs = {
        Output(ImageFormat.JPEG, 80).canonical(),
        Output(ImageFormat.JPEG, 80, keep_icc=False).canonical(),
        Output(ImageFormat.JPEG, 80, max_bytes=1000).canonical(),
    }
    assert len(outputs) == 3


def test_a_plan_crosses_to_a_worker_whole() -> None:
    """The Celery message carries every stage, and the worker rebuilds the same Plan."""
    full = Plan(
        path="a/b.png",
        trim=Trim(Corner.BOTTOM_RIGHT, 7),
        region=Region(Unit.PERCENT, 1.5, 2, 50, 50),
        mode=Mode.RESIZE,
        width=100,
        height=80,
        fit=Fit.INSIDE,
        gravity=Gravity.SMART,
        focus=(10.5, 20),
        upscale=False,
        direction=Direction.BOTH,
        degree=270,
        filters=(Brightness(10), Fill(100, 80, "blur")),
        background=(1, 2, 3, 4),
        format=ImageFormat.WEBP,
        quality=70,
        max_bytes=5000,
        keep_icc=False,
        max_age=60,
    )
    output = resolve_output(full, PNG_INFO, None)
    layout = geometry.layout(full, (300, 200), LIMIT)
    source = Opened("a/b.png", SourceStat("1", 1), PNG_INFO)
    target = Target(full, output, source, layout, "k", "k.webp")
    assert plan_of(message_of(target)) == full


# --- animations, deadlines, other sources ------------------------------------------------------

ANIMATION = synth.animation(120, 90, 3)
ANIMATION_INFO = SourceInfo(format="gif", width=120, height=90, frames=3)


def solid(width: int, height: int, rgb: list[int]) -> pyvips.Image:
    return pyvips.Image.black(width, height, bands=3).new_from_image(rgb).cast("uchar")


def render_animation(plan: Plan) -> pyvips.Image:
    data = rendering.render(plan, ANIMATION.gifsave_buffer(), ANIMATION_INFO).data
    return synth.load(data, animated=True)


def test_filters_run_on_each_frame_of_an_animation() -> None:
    base = Plan(path="a.gif", mode=Mode.KEEP, format=ImageFormat.GIF)
    half = render_animation(replace(base, filters=(Proportion(0.5),)))
    assert (half.width, half.get("page-height"), synth.frames(half)) == (60, 45, 3)
    padded = render_animation(replace(base, filters=(Fill(140, 100, "colour", (255, 0, 0, 255)),)))
    assert (padded.width, padded.get("page-height"), synth.frames(padded)) == (140, 100, 3)
    # Every frame is padded: the band above each frame's picture is the fill's red.
    for frame in range(3):
        assert at(padded, 70, frame * 100 + 2) == [255, 0, 0]
    rounded = render_animation(replace(base, filters=(RoundCorner(20, 20, (0, 0, 255)),)))
    for frame in range(3):
        assert at(rounded, 0, frame * 90) == [0, 0, 255]
        assert at(rounded, 119, frame * 90 + 89) == [0, 0, 255]


def test_a_repeated_watermark_is_one_layer() -> None:
    """2,500 copies of a small mark: one tiled layer, not 2,500 libvips operations."""
    big = solid(1000, 1000, [40, 40, 40]).pngsave_buffer()
    info = SourceInfo(format="png", width=1000, height=1000)
    mark = solid(20, 20, [0, 255, 0]).pngsave_buffer()
    step = Watermark("m.png", Position("repeat"), Position("repeat"), 0)
    marked = Plan(path="b.png", mode=Mode.KEEP, filters=(step,), format=ImageFormat.PNG)
    rendered = rendering.render(marked, big, info, extras={"m.png": mark})
    image = synth.load(rendered.data)
    assert at(image, 0, 0) == [0, 255, 0]
    assert at(image, 999, 999) == [0, 255, 0]


def test_max_bytes_is_held_to_the_processing_deadline() -> None:
    noise = pyvips.Image.gaussnoise(1500, 1500, sigma=60, mean=128).cast("uchar")
    photo = noise.bandjoin([noise, noise]).copy(interpretation="srgb").pngsave_buffer()
    info = SourceInfo(format="png", width=1500, height=1500)
    limited = Plan(path="n.png", mode=Mode.KEEP, format=ImageFormat.AVIF, max_bytes=100)
    with pytest.raises(GatewayTimeout):
        rendering.render(limited, photo, info, seconds=0.05)


def test_focus_counts_from_the_source_after_a_trim() -> None:
    """A focal point is in the source's pixels: a trim before the crop does not move it."""
    inner = synth.gradient(200, 100)
    framed = inner.embed(30, 10, 260, 120, extend="white").pngsave_buffer()
    info = SourceInfo(format="png", width=260, height=120)
    # The point is at the middle of the trimmed picture: the crop is centred there.
    image = render(
        plan(trim=Trim(), mode=Mode.RESIZE, width=50, height=100, focus=(30 + 100, 60)),
        framed,
        info,
    )
    assert at(image, 0, 0) == at(inner, 75, 0)
