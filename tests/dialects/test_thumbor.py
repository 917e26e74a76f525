"""The thumbor dialect: URL → Plan for every grammar element, signatures, errors, filters'
pixels, and the route's switches (off, unsafe, prefix) through the application (in process)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import pyvips
from hypothesis import given
from hypothesis import strategies as st

from fitter import geometry
from fitter.dialects import thumbor
from fitter.dialects.thumbor.filters import fill_with, parse_filters
from fitter.engine import Job, filters
from fitter.errors import InvalidRequest
from fitter.models import SourceInfo
from fitter.plan import (
    ORIGINAL,
    Corner,
    Direction,
    Filter,
    Fit,
    Gravity,
    ImageFormat,
    Mode,
    Output,
    Plan,
    Region,
    Trim,
    Unit,
)
from fitter.plan.filters import (
    Blur,
    Brightness,
    Fill,
    Grayscale,
    Position,
    Proportion,
    Watermark,
)
from support import inprocess
from support.servers import ROOT, fs_config

FIXTURE = ROOT / "tests" / "thumbor"
LANDSCAPE = (400, 300)


def plan(text: str, source: tuple[int, int] | None = LANDSCAPE, default: str = "original"):
    url = thumbor.parse(text)
    return thumbor.to_plan(url, source if thumbor.needs_source(url) else None, default)


def problems(text: str) -> list[tuple[str | None, str]]:
    with pytest.raises(InvalidRequest) as raised:
        plan(text)
    return [(p.param, p.message) for p in raised.value.problems]


# ---- grammar ---------------------------------------------------------------------------


def test_plain_url_keeps_the_image() -> None:
    got = plan("unsafe/a/b.jpg")
    assert (got.path, got.mode, got.format) == ("a/b.jpg", Mode.KEEP, ORIGINAL)
    assert got.trim is got.region is got.direction is None


def test_size_is_a_cover_resize_by_default() -> None:
    got = plan("unsafe/300x200/a.jpg")
    assert (got.mode, got.width, got.height, got.fit) == (Mode.RESIZE, 300, 200, Fit.COVER)
    assert got.gravity is Gravity.CENTER and got.upscale


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("unsafe/300x0/a.jpg", (300, 225)),
        ("unsafe/300x/a.jpg", (300, 225)),
        ("unsafe/x150/a.jpg", (200, 150)),
        # thumbor rounds the derived side half to even: 150 * 300 / 400 = 112.5 -> 112.
        ("unsafe/150x0/a.jpg", (150, 112)),
        ("unsafe/origx100/a.jpg", (400, 100)),
        ("unsafe/100xorig/a.jpg", (100, 300)),
        ("unsafe/origx0/a.jpg", (400, 300)),
        ("unsafe/10x20:210x170/100x0/a.jpg", (100, 75)),
        ("unsafe/1000x100/filters:no_upscale()/a.jpg", (400, 100)),
    ],
)
def test_sizes_resolved_against_the_source(text: str, size: tuple[int, int]) -> None:
    got = plan(text)
    assert (got.width, got.height) == size


def test_without_the_source_a_missing_side_stays_derived() -> None:
    got = thumbor.to_plan(thumbor.parse("unsafe/300x0/a.jpg"), None, "original")
    assert (got.width, got.height) == (300, 0)


@pytest.mark.parametrize(
    ("size", "direction", "box"),
    [
        ("-300x200", Direction.HORIZONTAL, (300, 200)),
        ("300x-200", Direction.VERTICAL, (300, 200)),
        ("-300x-200", Direction.BOTH, (300, 200)),
        ("-0x-0", Direction.BOTH, (0, 0)),
        ("-x-", Direction.BOTH, (0, 0)),
    ],
)
def test_negative_sizes_flip(size: str, direction: Direction, box: tuple[int, int]) -> None:
    got = plan(f"unsafe/{size}/a.jpg")
    assert got.direction is direction and (got.width, got.height) == box


@pytest.mark.parametrize(
    ("align", "gravity"),
    [
        ("left/top", Gravity.NORTHWEST),
        ("top", Gravity.NORTH),
        ("right", Gravity.EAST),
        ("center/middle", Gravity.CENTER),
        ("left/bottom", Gravity.SOUTHWEST),
        ("bottom", Gravity.SOUTH),
        ("right/bottom", Gravity.SOUTHEAST),
        ("smart", Gravity.SMART),
    ],
)
def test_alignment_and_smart(align: str, gravity: Gravity) -> None:
    assert plan(f"unsafe/100x100/{align}/a.jpg").gravity is gravity


def test_alignment_in_the_wrong_order_is_part_of_the_image_path() -> None:
    assert plan("unsafe/100x100/top/left/a.jpg").path == "left/a.jpg"


@pytest.mark.parametrize(
    ("fit", "expected", "upscale"),
    [
        ("fit-in", Fit.INSIDE, False),
        ("full-fit-in", Fit.OUTSIDE, True),
        ("adaptive-fit-in", Fit.INSIDE, False),
        ("adaptive-full-fit-in", Fit.OUTSIDE, True),
    ],
)
def test_fit_in_modes(fit: str, expected: Fit, upscale: bool) -> None:
    got = plan(f"unsafe/{fit}/300x200/a.jpg")
    assert (got.fit, got.upscale) == (expected, upscale)


def test_adaptive_swaps_the_box_when_the_orientation_differs() -> None:
    assert (plan("unsafe/adaptive-fit-in/200x300/a.jpg").width, 300) == (300, 300)
    got = plan("unsafe/adaptive-fit-in/300x200/a.jpg", source=(300, 400))
    assert (got.width, got.height) == (200, 300)
    same = plan("unsafe/adaptive-fit-in/300x200/a.jpg")
    assert (same.width, same.height) == (300, 200)


def test_fit_in_with_upscale_enlarges_like_thumbor() -> None:
    got = plan("unsafe/fit-in/1000x500/filters:upscale()/a.jpg")
    assert (got.width, got.height, got.fit) == (666, 500, Fit.FILL)
    assert plan("unsafe/fit-in/100x100/filters:upscale()/a.jpg").fit is Fit.INSIDE


def test_stretch_fills_and_no_upscale_caps() -> None:
    assert plan("unsafe/300x300/filters:stretch()/a.jpg").fit is Fit.FILL
    assert plan("unsafe/fit-in/300x300/filters:stretch()/a.jpg").fit is Fit.INSIDE
    assert not plan("unsafe/300x300/filters:no_upscale()/a.jpg").upscale


@pytest.mark.parametrize(
    ("trim", "expected"),
    [
        ("trim", Trim(Corner.TOP_LEFT, 0)),
        ("trim:bottom-right", Trim(Corner.BOTTOM_RIGHT, 0)),
        ("trim:top-left:12", Trim(Corner.TOP_LEFT, 12)),
        ("trim:12", Trim(Corner.TOP_LEFT, 12)),
    ],
)
def test_trim(trim: str, expected: Trim) -> None:
    assert plan(f"unsafe/{trim}/a.jpg").trim == expected


def test_crop_is_a_pixel_region() -> None:
    got = plan("unsafe/10x20:110x220/a.jpg")
    assert got.region == Region(Unit.PIXELS, left=10, top=20, width=100, height=200)
    assert plan("unsafe/0x0:0x0/a.jpg").region is None


def test_empty_crop_is_400() -> None:
    assert problems("unsafe/100x100:50x50/a.jpg")[0][0] == "crop"


def test_focal_boxes_give_the_weighted_centre_inside_the_crop() -> None:
    assert plan("unsafe/100x200/filters:focal(280x70:320x110)/a.jpg").focus == (300.0, 90.0)
    both = plan("unsafe/100x200/filters:focal(0x0:10x10):focal(100x100:110x110)/a.jpg")
    assert both.focus == (55.0, 55.0)
    outside = plan("unsafe/0x0:200x300/100x200/filters:focal(280x70:320x110)/a.jpg")
    assert outside.focus is None


def test_rotate_is_counter_clockwise_and_adds_up() -> None:
    assert plan("unsafe/filters:rotate(90)/a.jpg").degree == 270
    assert plan("unsafe/filters:rotate(-90)/a.jpg").degree == 90
    assert plan("unsafe/filters:rotate(90):rotate(90)/a.jpg").degree == 180
    assert plan("unsafe/filters:rotate(450)/a.jpg").degree == 270


def test_output_filters() -> None:
    got = plan(
        "unsafe/filters:format(webp):quality(%2050%20):max_bytes(3000):max_age(60)"
        ":strip_icc():strip_exif()/a.jpg"
    )
    assert (got.format, got.quality, got.max_bytes, got.max_age) == (
        ImageFormat.WEBP,
        50,
        3000,
        60,
    )
    assert not got.keep_icc
    assert plan("unsafe/filters:format('png')/a.jpg").format is ImageFormat.PNG
    assert plan("unsafe/filters:format(png):format(jpg)/a.jpg").format is ImageFormat.JPEG
    assert plan("unsafe/a.jpg", default="webp").format is ImageFormat.WEBP


def test_pixel_filters_keep_url_order() -> None:
    got = plan("unsafe/filters:brightness(10):grayscale():blur(150,2)/a.jpg")
    assert got.filters == (Brightness(10), Grayscale(), Blur(150, 2.0))


def test_fill_pads_the_requested_box_in_fit_in_modes_only() -> None:
    got = plan("unsafe/fit-in/800x0/filters:fill(blue)/a.jpg")
    assert got.filters == (Fill(800, 0, "colour", (0, 0, 255, 255)),)
    assert got.background == (0, 0, 255, 255)
    plain = plan("unsafe/300x300/filters:fill(red,true)/a.jpg")
    assert plain.filters == (Fill(0, 0, "colour", (255, 0, 0, 255), merge=True),)
    assert plan("unsafe/fit-in/9x9/filters:fill(blur)/a.jpg").filters == (Fill(9, 9, "blur"),)


def test_watermark_path_is_cleaned_and_listed() -> None:
    got = plan("unsafe/filters:watermark('/marks/w.png',-10,20p,50,none,30)/a.jpg")
    assert got.filters == (
        Watermark(
            "marks/w.png", Position("pixels", 10, True), Position("percent", 20), 50, None, 30
        ),
    )
    assert got.extra_paths() == ("marks/w.png",)


def test_image_may_be_an_encoded_url() -> None:
    got = plan("unsafe/300x200/http%3A%2F%2FExample.com%2Fa.jpg")
    assert got.path == "http://example.com/a.jpg"


def test_a_decoded_text_is_read_as_it_is() -> None:
    """The decoded form a signature covered is not decoded a second time."""
    assert thumbor.parse("unsafe/a%20b.jpg").path == "a b.jpg"
    assert thumbor.parse("unsafe/a%20b.jpg", decoded=True).path == "a%20b.jpg"
    with pytest.raises(InvalidRequest):
        thumbor.parse("unsafe/filters:quality(%2050)/a.jpg", decoded=True)


def test_equal_spellings_give_equal_plans() -> None:
    assert plan("unsafe/center/middle/a.jpg") == plan("unsafe/a.jpg")
    assert plan("unsafe/filters:quality(%2050)/a.jpg") == plan("unsafe/filters:quality(50)/a.jpg")


# ---- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "param", "words"),
    [
        ("unsafe/filters:unknown()/a.jpg", "filters", "unknown filter 'unknown'"),
        ("unsafe/filters:brightness(abc)/a.jpg", "filters", "brightness"),
        ("unsafe/filters:sharpen(1)/a.jpg", "filters", "takes 3 arguments"),
        ("unsafe/filters:quality(0)/a.jpg", "filters", "1 to 100"),
        ("unsafe/filters:format(bmp)/a.jpg", "filters", "format"),
        ("unsafe/filters:rotate(45)/a.jpg", "filters", "multiples of 90"),
        ("unsafe/filters:proportion(1.5)/a.jpg", "filters", "proportion"),
        ("unsafe/filters:fill(notacolour)/a.jpg", "filters", "fill"),
        ("unsafe/filters:focal(300x90)/a.jpg", "filters", "focal"),
        ("unsafe/filters:colorize(1,2,3,ff0000)/a.jpg", "filters", "colorize"),
        ("unsafe/filters:watermark(../w.png,0,0,0)/a.jpg", "filters", "watermark"),
        ("unsafe/filters:watermark(w.png,0,0,101)/a.jpg", "filters", "watermark"),
        ("unsafe/filters:watermark(w.png,101p,0,0)/a.jpg", "filters", "at most 100p"),
        ("unsafe/filters:watermark(w.png,0,0,0,-10)/a.jpg", "filters", "1 to 100 or none"),
        ("unsafe/filters:watermark(w.png,0,0,0,none,101)/a.jpg", "filters", "1 to 100"),
        ("unsafe/filters:brightness(101)/a.jpg", "filters", "brightness: must be from -100 to 100"),
        ("unsafe/filters:contrast(-101)/a.jpg", "filters", "contrast: must be from -100 to 100"),
        ("unsafe/filters:rgb(0,0,101)/a.jpg", "filters", "rgb: must be from -100 to 100"),
        ("unsafe/filters:saturation(10.5)/a.jpg", "filters", "saturation: must be from 0 to 10"),
        ("unsafe/filters:saturation(-1)/a.jpg", "filters", "saturation: must be from 0 to 10"),
        ("unsafe/filters:blur(151)/a.jpg", "filters", "blur: must be from 1 to 150"),
        ("unsafe/filters:blur(5,151)/a.jpg", "filters", "blur: must be from 0 to 150"),
        ("unsafe/filters:sharpen(1,11,true)/a.jpg", "filters", "sharpen: must be from 0 to 10"),
        ("unsafe/filters:sharpen(-1,1,true)/a.jpg", "filters", "sharpen: must be from 0 to 10"),
        ("unsafe/filters:noise(101)/a.jpg", "filters", "noise: must be from 0 to 100"),
        ("unsafe/filters:round_corner(10,256,0,0)/a.jpg", "filters", "must be from 0 to 255"),
        ("unsafe/filters:convolution(1;1,16)/a.jpg", "filters", "must be from 1 to 15"),
        ("unsafe/filters:convolution(" + ";".join(["1"] * 16) + ",1)/a.jpg", "filters", "rows"),
        ("unsafe/filters:quality(101)/a.jpg", "filters", "quality: must be from 1 to 100"),
        ("unsafe/filters:max_bytes(0)/a.jpg", "filters", "max_bytes: must be from 1 to"),
        ("unsafe/filters:" + "grayscale():" * 20 + "equalize()/a.jpg", "filters", "at most 20"),
        ("unsafe/" + "a" * 8200 + ".jpg", "url", "longer than 8192"),
        ("unsafe/debug/a.jpg", "debug", "debug"),
        ("unsafe/../etc/passwd", "path", ".."),
        ("unsafe/", "path", "no image"),
        ("unsafe/999999x1/a.jpg", "width", "too large"),
    ],
)
def test_errors_name_the_part(text: str, param: str, words: str) -> None:
    found = problems(text)
    assert any(p == param and words in m for p, m in found), found


# Every numeric slot of the grammar and of each filter, `N` standing for the number.
NUMERIC_SLOTS = [
    "unsafe/Nx10/a.png",
    "unsafe/10xN/a.png",
    "unsafe/-Nx-N/a.png",
    "unsafe/Nx0:10x10/a.png",
    "unsafe/0x0:NxN/a.png",
    "unsafe/trim:N/a.png",
    "unsafe/trim:bottom-right:N/a.png",
    "unsafe/fit-in/NxN/filters:fill(red):upscale()/a.png",
    "unsafe/filters:brightness(N)/a.png",
    "unsafe/filters:contrast(N)/a.png",
    "unsafe/filters:saturation(N)/a.png",
    "unsafe/filters:rgb(N,N,N)/a.png",
    "unsafe/filters:blur(N)/a.png",
    "unsafe/filters:blur(1,N)/a.png",
    "unsafe/filters:sharpen(N,N,true)/a.png",
    "unsafe/filters:noise(N,N)/a.png",
    "unsafe/filters:convolution(N;1;1,N)/a.png",
    "unsafe/filters:convolution(1,N,true)/a.png",
    "unsafe/filters:round_corner(N|N,N,N,N)/a.png",
    "unsafe/filters:watermark(w.png,N,Np,N,N,N)/a.png",
    "unsafe/filters:proportion(N)/a.png",
    "unsafe/filters:quality(N)/a.png",
    "unsafe/filters:max_bytes(N)/a.png",
    "unsafe/filters:max_age(N)/a.png",
    "unsafe/filters:rotate(N)/a.png",
    "unsafe/100x100/filters:focal(NxN:NxN)/a.png",
]
ODD_NUMBERS = [
    "9" * 4400,
    "0" * 5000 + "1",
    "-" + "9" * 4400,
    "1." + "0" * 5000,
    "1e999",
    "999999999",
    "0",
    "-1",
    "0.5",
    "",
]


@given(
    slot=st.sampled_from(NUMERIC_SLOTS),
    number=st.one_of(
        st.sampled_from(ODD_NUMBERS),
        st.integers().map(str),
        st.floats(allow_nan=False).map(str),
        st.text("0123456789.-", max_size=12),
    ),
)
def test_odd_numbers_are_a_plan_or_a_400(slot: str, number: str) -> None:
    """No number, however long or odd, gets past the grammar to a ValueError (a 500)."""
    with contextlib.suppress(InvalidRequest):
        plan(slot.replace("N", number))


def test_every_problem_at_once() -> None:
    found = problems("unsafe/100x100:50x50/filters:nope():quality(900)/a.jpg")
    assert [p for p, _ in found] == ["crop", "filters", "filters"]


# ---- signatures ------------------------------------------------------------------------

VECTORS = json.loads((FIXTURE / "signatures.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["signature"] for v in VECTORS])
def test_signature_vectors(vector: dict[str, str]) -> None:
    assert thumbor.sign(vector["key"], vector["path"]) == vector["signature"]
    assert thumbor.sign_path(vector["key"], vector["path"]) == vector["url"]
    assert thumbor.verify(vector["key"], vector["path"], vector["signature"])
    assert thumbor.split_signature(vector["url"]) == (vector["signature"], vector["path"])


@given(
    key=st.text(min_size=1, max_size=40),
    path=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80),
)
def test_signature_round_trip(key: str, path: str) -> None:
    signature = thumbor.sign(key, path)
    assert len(signature) == 28 and signature.endswith("=")
    assert thumbor.verify(key, path, signature)
    assert not thumbor.verify(key + "x", path, signature)
    assert not thumbor.verify(key, path + "x", signature)


def test_signature_over_the_decoded_path_is_accepted_too() -> None:
    signature = thumbor.sign("k", "300x200/my image.jpg")
    assert thumbor.verify("k", "300x200/my%20image.jpg", signature)
    assert thumbor.signed_text("k", "300x200/my%20image.jpg", signature) == "300x200/my image.jpg"
    raw = thumbor.sign("k", "300x200/my%20image.jpg")
    assert thumbor.signed_text("k", "300x200/my%20image.jpg", raw) == "300x200/my%20image.jpg"
    assert thumbor.signed_text("k", "300x200/my%20image.jpg", thumbor.sign("j", "x")) is None


# ---- filters' pixels -------------------------------------------------------------------


def photo() -> pyvips.Image:
    return pyvips.Image.new_from_file(str(FIXTURE / "sources" / "landscape.jpg"))


def typed(text: str) -> Filter:
    """One filter as thumbor writes it, read by the dialect into its typed value."""
    problems: list = []
    options = parse_filters(text, problems)
    assert not problems, problems
    [step] = options.pixels
    return step


def run(text: str, image: pyvips.Image | None = None, extras=None) -> pyvips.Image:
    """One filter on one image, as the engine's filter step calls it."""
    return apply(typed(text), image, extras)


def apply(step: Filter, image: pyvips.Image | None = None, extras=None) -> pyvips.Image:
    job = Job(
        Plan(path="p.png", filters=(step,)),
        Output(ImageFormat.PNG, None),
        SourceInfo(format="png", width=1, height=1),
        b"",
        geometry.Layout((0, 0, 1, 1), (1, 1)),
        (8192, 8192),
        extras or {},
    )
    return filters.apply(image if image is not None else photo(), step, job)


def edges(image: pyvips.Image) -> float:
    grey = image.colourspace("b-w").extract_band(0)
    return abs(grey.cast("float").conv(pyvips.Image.new_from_list([[-1, 1]]))).avg()


def test_brightness_contrast_saturation_rgb_do_their_job() -> None:
    base = photo()
    assert run("brightness(30)").avg() > base.avg() + 20
    assert run("brightness(-30)").avg() < base.avg() - 20
    assert run("contrast(60)").deviate() > base.deviate() * 1.3
    assert run("contrast(-60)").deviate() < base.deviate() * 0.7
    spread = lambda im: (im[0] - im[2]).abs().avg()  # noqa: E731
    assert spread(run("saturation(0)")) < 3
    assert spread(run("saturation(2)")) > spread(base) * 1.3
    shifted = run("rgb(20,0,-20)")
    assert shifted[0].avg() > base[0].avg() + 30 and shifted[2].avg() < base[2].avg() - 30


def test_grayscale_gives_equal_bands_and_keeps_alpha() -> None:
    grey = run("grayscale()").colourspace("srgb")
    assert (grey[0] - grey[1]).abs().max() == 0 and (grey[1] - grey[2]).abs().max() == 0
    rgba = photo().addalpha()
    assert run("grayscale()", image=rgba).hasalpha()


def test_blur_sharpen_noise_equalize_convolution() -> None:
    base = edges(photo())
    assert edges(run("blur(5)")) < base * 0.7
    assert edges(run("convolution(1;2;1;2;4;2;1;2;1,3,1)")) < base
    assert edges(run("sharpen(3,2,1)")) > base
    assert edges(run("noise(40,7)")) > base * 1.5
    assert (run("noise(40,7)") == run("noise(40,7)")).min() == 255  # seeded
    flat = photo().linear(0.2, 100).cast("uchar")
    assert run("equalize()", image=flat).deviate() > flat.deviate() * 2


def test_round_corner_colours_or_clears_the_corners() -> None:
    red = run("round_corner(30,255,0,0)")
    assert red.getpoint(0, 0) == [255, 0, 0] and red.getpoint(399, 299) == [255, 0, 0]
    assert red.getpoint(200, 150) == photo().getpoint(200, 150)
    clear = run("round_corner(30|10,0,0,0,1)")
    assert clear.hasalpha() and clear.getpoint(0, 0)[3] == 0 and clear.getpoint(200, 0)[3] == 255


def test_watermark_changes_only_what_it_covers() -> None:
    mark = FIXTURE / "sources" / "watermark.png"
    marked = run("watermark(w.png,-10,-10,0)", extras={"w.png": mark})
    diff = (marked.cast("int") - photo().cast("int")).abs()
    assert diff.extract_area(326, 258, 64, 32).avg() > 20
    assert diff.extract_area(0, 0, 300, 200).max() == 0
    invisible = run("watermark(w.png,0,0,100)", extras={"w.png": mark.read_bytes()})
    assert (invisible.cast("int") - photo().cast("int")).abs().max() <= 1
    tiled = run("watermark(w.png,repeat,repeat,0)", extras={"w.png": mark})
    assert (tiled.cast("int") - photo().cast("int")).abs().extract_area(320, 270, 60, 20).avg() > 20


def test_background_color_flattens_alpha() -> None:
    clear = pyvips.Image.black(10, 10, bands=3).bandjoin(0).copy(interpretation="srgb")
    flat = run("background_color(00ff00ff)", image=clear)
    assert not flat.hasalpha() and flat.getpoint(5, 5) == [0, 255, 0]


@pytest.mark.parametrize("how", ["ff0000ff", "00000000", "auto", "blur"])
def test_fill_pads_to_the_box(how: str) -> None:
    small = photo().resize(0.25)  # 100x75
    step = Fill(120, 100, *fill_with(how))
    assert step.resize((100, 75)) == (120, 100)
    padded = apply(step, image=small)
    assert (padded.width, padded.height) == (120, 100)
    corner = padded.getpoint(0, 0)
    if how == "ff0000ff":
        assert corner == [255, 0, 0, 255]
    if how == "00000000":
        assert corner[3] == 0
    assert padded.getpoint(60, 50)[:3] == small.getpoint(50, 38)[:3]  # offset (10, 12)


def test_proportion_scales_rounding_down() -> None:
    step = Proportion(0.333)
    assert step.resize((400, 300)) == (133, 99)
    assert Proportion(0.001).resize((400, 300)) == (400, 300)
    scaled = apply(step)
    assert (scaled.width, scaled.height) == (133, 99)


# ---- the route -------------------------------------------------------------------------


@pytest.fixture
def sources() -> Path:
    return FIXTURE / "sources"


@pytest.fixture
def serve(make_app, tmp_path: Path, sources: Path) -> Iterator[Callable[..., httpx.Client]]:
    """A client of a new application reading `sources`, with this thumbor section."""
    with contextlib.ExitStack() as clients:

        def start(**section: object) -> httpx.Client:
            storage = fs_config(sources, tmp_path / "store")["storage"]
            app = make_app(storage=storage, **({"thumbor": section} if section else {}))
            return clients.enter_context(app.http())

        yield start


def test_off_without_key_or_unsafe(serve) -> None:
    http = serve()
    answer = http.get("/unsafe/100x100/landscape.jpg")
    assert answer.status_code == 404
    assert answer.json() == http.get("/no/such/thing").json()


def test_signed_only_with_a_prefix(serve) -> None:
    http = serve(security_key="k3y", prefix="/thumbor/")
    signed = thumbor.sign_path("k3y", "fit-in/100x100/landscape.jpg")
    answer = http.get("/thumbor" + signed)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg"
    assert pyvips.Image.new_from_buffer(answer.content, "").width == 100
    assert http.head("/thumbor" + signed).status_code == 200
    assert http.get(signed).status_code == 404  # outside the prefix
    unsafe = http.get("/thumbor/unsafe/100x100/landscape.jpg")
    assert unsafe.status_code == 403 and unsafe.json()["errors"][0]["param"] == "signature"
    tampered = http.get("/thumbor" + signed.replace("100x100", "100x101"))
    assert tampered.status_code == 403
    bad = http.get("/thumbor" + thumbor.sign_path("k3y", "filters:nope()/landscape.jpg"))
    assert bad.status_code == 400 and bad.json()["errors"][0]["param"] == "filters"


def test_unsafe_answers_with_cache_headers_and_etag(serve) -> None:
    http = serve(allow_unsafe=True)
    url = "/unsafe/200x100/filters:max_age(60):format(webp)/landscape.jpg"
    first = http.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    assert first.headers["cache-control"] == "public, max-age=60"
    again = http.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    signed = http.get(thumbor.sign_path("any", "200x100/landscape.jpg"))
    assert signed.status_code == 403  # no key: signatures cannot be checked
    meta = http.get("/unsafe/meta/fit-in/200x200/filters:rotate(90)/landscape.jpg")
    assert meta.json()["thumbor"]["target"] == {"width": 150, "height": 200}


@pytest.fixture(scope="module")
def unsafe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of one application taking unsafe URLs, shared by the tests that only read."""
    work = tmp_path_factory.mktemp("unsafe")
    config = fs_config(FIXTURE / "sources", work / "store", thumbor={"allow_unsafe": True})
    with inprocess.running(config, work) as app, app.http() as http:
        yield http


def test_odd_numbers_never_make_a_500(unsafe: httpx.Client) -> None:
    for slot in NUMERIC_SLOTS:
        for number in ODD_NUMBERS:
            url = "/" + slot.replace("N", number).replace("a.png", "landscape.jpg")
            url = url.replace("w.png", "watermark.png")
            assert unsafe.get(url).status_code < 500, url[:120]


def test_filters_are_counted_and_the_url_measured(unsafe: httpx.Client) -> None:
    """Hundreds of filters once crashed libvips, and with it the server."""

    def filters(count: int) -> str:
        return "/unsafe/filters:" + "brightness(1):" * (count - 1) + "grayscale()/landscape.jpg"

    assert unsafe.get(filters(20)).status_code == 200
    many = unsafe.get(filters(21))
    assert many.status_code == 400
    assert many.json()["errors"] == [
        {"param": "filters", "message": "at most 20 filters in one URL (got 21)"}
    ]
    huge = unsafe.get(filters(900))
    assert huge.status_code == 400 and huge.json()["errors"][0]["param"] == "url"


@pytest.mark.parametrize(
    "url",
    [
        "/unsafe/200x150/filters:sharpen(2,11,true)/landscape.jpg",
        "/unsafe/200x150/filters:noise(150)/landscape.jpg",
        "/unsafe/200x150/filters:blur(200)/landscape.jpg",
        "/unsafe/200x150/filters:round_corner(20,300,0,0)/landscape.jpg",
    ],
)
def test_values_libvips_would_ignore_are_400(unsafe: httpx.Client, url: str) -> None:
    answer = unsafe.get(url)
    assert answer.status_code == 400 and answer.json()["errors"][0]["param"] == "filters"


def test_a_url_is_read_from_the_text_its_signature_covers(serve) -> None:
    """A signature over the decoded `300x200/landscape.jpg` sent as `300x200%2Flandscape.jpg`
    must not make the options part of the image path (the source `300x200/landscape.jpg`)."""
    http = serve(security_key="k3y")
    signature = thumbor.sign("k3y", "300x200/landscape.jpg")
    answer = http.get(f"/{signature}/300x200%2Flandscape.jpg")
    assert answer.status_code == 200, answer.text
    image = pyvips.Image.new_from_buffer(answer.content, "")
    assert (image.width, image.height) == (300, 200)
    encoded = thumbor.sign("k3y", "filters:quality(50)/landscape.jpg")
    colon = http.get(f"/{encoded}/filters%3Aquality(50)%2Flandscape.jpg")
    assert colon.status_code == 200, colon.text


@pytest.mark.parametrize(
    "options",
    [
        {"presets_only": True, "presets": {"small": {"width": 100}}},
        {"allowed_sizes": ["100x100"]},
    ],
)
def test_a_server_of_fixed_variants_has_no_thumbor_urls(make_app, options):
    """thumbor URLs ask for any size: a server that serves fixed variants refuses them."""
    app = make_app(thumbor={"allow_unsafe": True}, options=options)
    with app.client() as http:
        answer = http.get("/unsafe/100x100/gradient.png")
        assert answer.status_code == 403, answer.text
        assert "fixed variants only" in answer.json()["errors"][0]["message"]


def test_allowed_formats_hold_for_thumbor_urls(make_app):
    app = make_app(thumbor={"allow_unsafe": True}, options={"allowed_formats": ["png"]})
    with app.client() as http:
        assert http.get("/unsafe/50x0/filters:format(png)/gradient.png").status_code == 200
        # As for fitter's own URLs, the original's format is `original` unless it is listed.
        assert http.get("/unsafe/50x0/gradient.png").status_code == 400
        refused = http.get("/unsafe/50x0/filters:format(webp)/gradient.png")
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["param"] == "format"
