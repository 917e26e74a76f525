"""Pixels end to end: every mode, fit, gravity, format and kind of source, through the
application's HTTP interface (in process: `conftest.app`).

Answers are decoded with pyvips and checked against DESIGN.md section 3 ("Precise semantics"):
sizes exactly, positions by comparing pixels of `gradient.png` (every pixel differs) with the
synthetic gradient it was made from.
"""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest
import pyvips

from support import images as synth

PHOTO = "photos/Autumn.jpg"  # a real 2560x1600 photograph, no EXIF
PHOTO_SIZE = (2560, 1600)
EXIF_PHOTO = "photos/BytheWater.jpg"  # a real 2560x1600 photograph with EXIF
GRADIENT = synth.gradient(300, 200)  # the pixels of gradient.png (and, lossily, the JPEGs)
W, H = GRADIENT.width, GRADIENT.height
FRAME_COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]  # anim.gif / anim.webp, 120x90 each
WHITE, RED = (255, 255, 255), (255, 0, 0)

FITS = ["cover", "contain", "fill", "inside", "outside"]
COMPASS = [
    "center",
    "north",
    "south",
    "east",
    "west",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
]
GRAVITIES = [*COMPASS, "smart", "entropy"]


# --- helpers -------------------------------------------------------------------------------


def fetch(http: httpx.Client, accept: str | None = None, **params: object) -> httpx.Response:
    """`GET /image` with these parameters; fails with the server's JSON when not 200."""
    headers = {"Accept": accept} if accept else {}
    answer = http.get("/image", params=params, headers=headers)
    assert answer.status_code == 200, (params, answer.status_code, answer.text[:500])
    return answer


def picture(http: httpx.Client, animated: bool = False, **params: object) -> pyvips.Image:
    return synth.load(fetch(http, **params).content, animated)


def size(image: pyvips.Image) -> tuple[int, int]:
    return image.width, image.height


def pixel(image: pyvips.Image, x: int, y: int) -> list[float]:
    return image(x, y)


def assert_close(actual, expected, tolerance: float, what: str = "") -> None:
    actual, expected = list(actual), list(expected)
    assert len(actual) >= len(expected), (what, actual, expected)
    worst = max(abs(a - e) for a, e in zip(actual, expected, strict=False))
    assert worst <= tolerance, f"{what}: got {actual}, expected {expected} ± {tolerance}"


def source(x: int, y: int) -> list[float]:
    """The gradient's pixel at (x, y), as gradient.png stores it."""
    return GRADIENT(x, y)


def compass_origin(gravity: str, spare: tuple[int, int]) -> tuple[int, int]:
    """Where a compass gravity puts a window with this much room left over (DESIGN: gravity)."""
    left = 0 if gravity.endswith("west") else spare[0] if gravity.endswith("east") else None
    top = 0 if gravity.startswith("north") else spare[1] if gravity.startswith("south") else None
    return (spare[0] // 2 if left is None else left, spare[1] // 2 if top is None else top)


def assert_window(image: pyvips.Image, origin: tuple[int, int], tolerance: float = 2) -> None:
    """The answer is gradient.png's rectangle starting at `origin`, checked at its corners."""
    ox, oy = origin
    w, h = size(image)
    for x, y in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 2, h // 2)]:
        assert_close(pixel(image, x, y), source(ox + x, oy + y), tolerance, f"at {x},{y}")


def frame(image: pyvips.Image, index: int) -> pyvips.Image:
    height = image.get("page-height") if "page-height" in image.get_fields() else image.height
    return image.extract_area(0, index * height, image.width, height)


def error_params(answer: httpx.Response) -> set[str | None]:
    return {e["param"] for e in answer.json()["errors"]}


def vary_names(answer: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in answer.headers.get("vary", "").split(",") if v.strip()}


# --- the seed talk's demo ------------------------------------------------------------------


def test_seed_demo_get_resizes_the_wallpaper_to_200x300(http):
    query = {"mode": "resize", "path": "Wallpaper/squares_widew.png", "width": 200, "height": 300}
    answer = http.get("/get", params=query)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["width"], body["height"], body["format"]) == (200, 300, "png")
    served = http.get(body["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert size(synth.load(served.content)) == (200, 300)
    assert len(served.content) == body["bytes"]


# --- sizes: every mode x every fit ---------------------------------------------------------

# (width, height, fit, upscale, expected size) for thumbnail and resize of the 2560x1600 photo,
# worked out by hand from DESIGN.md "Sizes".
RESIZES = [
    # One side given: the other is floor(W*h/H + 0.5) and every fit gives that box.
    *[(200, 0, fit, True, (200, 125)) for fit in FITS],
    *[(0, 250, fit, True, (400, 250)) for fit in FITS],
    *[(0, 333, fit, False, (533, 333)) for fit in FITS],  # 2560*333/1600 = 532.8
    *[(3000, 0, fit, True, (3000, 1875)) for fit in FITS],
    # ... and upscale=false caps the scale at 1; contain still pads to the full box.
    (3000, 0, "cover", False, (2560, 1600)),
    (3000, 0, "contain", False, (3000, 1875)),
    (3000, 0, "fill", False, (2560, 1600)),
    (3000, 0, "inside", False, (2560, 1600)),
    (3000, 0, "outside", False, (2560, 1600)),
    # A box smaller than the photo: upscale does not matter.
    *[
        (400, 400, fit, up, expected)
        for fit, expected in [
            ("cover", (400, 400)),
            ("contain", (400, 400)),
            ("fill", (400, 400)),
            ("inside", (400, 250)),
            ("outside", (640, 400)),
        ]
        for up in (True, False)
    ],
    (300, 500, "cover", True, (300, 500)),
    (300, 500, "contain", True, (300, 500)),
    (300, 500, "fill", True, (300, 500)),
    (300, 500, "inside", True, (300, 188)),  # 1600 * 300/2560 = 187.5 -> 188
    (300, 500, "outside", True, (800, 500)),
    # A box taller than the photo: cover/outside scale up by 1.25 unless capped.
    (2000, 2000, "cover", True, (2000, 2000)),
    (2000, 2000, "contain", True, (2000, 2000)),
    (2000, 2000, "fill", True, (2000, 2000)),
    (2000, 2000, "inside", True, (2000, 1250)),
    (2000, 2000, "outside", True, (3200, 2000)),
    (2000, 2000, "cover", False, (2000, 1600)),
    (2000, 2000, "contain", False, (2000, 2000)),
    (2000, 2000, "fill", False, (2000, 1600)),
    (2000, 2000, "inside", False, (2000, 1250)),
    (2000, 2000, "outside", False, (2560, 1600)),
    # A box larger than the photo on both sides.
    (3200, 2400, "cover", True, (3200, 2400)),
    (3200, 2400, "contain", True, (3200, 2400)),
    (3200, 2400, "fill", True, (3200, 2400)),
    (3200, 2400, "inside", True, (3200, 2000)),
    (3200, 2400, "outside", True, (3840, 2400)),
    (3200, 2400, "cover", False, (2560, 1600)),
    (3200, 2400, "contain", False, (3200, 2400)),
    (3200, 2400, "fill", False, (2560, 1600)),
    (3200, 2400, "inside", False, (2560, 1600)),
    (3200, 2400, "outside", False, (2560, 1600)),
]


@pytest.mark.parametrize("mode", ["thumbnail", "resize"])
@pytest.mark.parametrize(("width", "height", "fit", "upscale", "expected"), RESIZES)
def test_resizing_modes_give_the_size_each_fit_promises(
    http, mode, width, height, fit, upscale, expected
):
    query = {"mode": mode, "path": PHOTO, "fit": fit, "upscale": str(upscale).lower()}
    query |= {k: v for k, v in (("width", width), ("height", height)) if v}
    image = picture(http, **query)
    assert size(image) == expected
    described = http.get("/get", params=query).json()
    assert (described["width"], described["height"]) == expected


# crop, flip and rotate take no fit and no upscale: the same answer whatever they say.
OTHER_MODES = [
    ({"mode": "crop", "width": 400, "height": 300}, (400, 300)),
    ({"mode": "crop", "width": 400, "height": 300, "x": 2400, "y": 100}, (160, 300)),
    ({"mode": "flip", "direction": "h", "width": 400, "height": 300}, PHOTO_SIZE),
    ({"mode": "rotate", "degree": 90, "width": 400, "height": 300}, PHOTO_SIZE[::-1]),
]


@pytest.mark.parametrize("upscale", ["true", "false"])
@pytest.mark.parametrize("fit", FITS)
@pytest.mark.parametrize(("query", "expected"), OTHER_MODES)
def test_crop_flip_and_rotate_ignore_fit_and_upscale(http, query, expected, fit, upscale):
    image = picture(http, path=PHOTO, fit=fit, upscale=upscale, **query)
    assert size(image) == expected


@pytest.mark.parametrize(
    ("mode", "origin"),
    [("thumbnail", (100, 0)), ("resize", None)],  # cover crops the middle; fill squeezes
)
def test_default_fit_is_cover_for_thumbnail_and_fill_for_resize(http, mode, origin):
    image = picture(http, mode=mode, path="gradient.png", width=100, height=200)
    assert size(image) == (100, 200)
    if origin is not None:
        assert_window(image, origin)
    else:
        # The whole width squeezed into 100 pixels: both ends of the gradient are there.
        assert_close(pixel(image, 0, 0), source(0, 0), 6, "left edge")
        assert_close(pixel(image, 99, 199), source(299, 199), 6, "right edge")
    default = fetch(http, mode=mode, path=PHOTO, width=300, height=300)
    cover = fetch(http, mode=mode, path=PHOTO, width=300, height=300, fit="cover")
    fill = fetch(http, mode=mode, path=PHOTO, width=300, height=300, fit="fill")
    same = cover if mode == "thumbnail" else fill
    other = fill if mode == "thumbnail" else cover
    assert default.headers["etag"] == same.headers["etag"]
    assert default.headers["etag"] != other.headers["etag"]


# --- gravity -------------------------------------------------------------------------------


@pytest.mark.parametrize("gravity", GRAVITIES)
def test_every_gravity_gives_the_cover_box(http, gravity):
    image = picture(http, path=PHOTO, width=400, height=300, fit="cover", gravity=gravity)
    assert size(image) == (400, 300)


# Cover at scale 1 on the 300x200 gradient crops one axis: (box, room left over).
COVER_BOXES = [((100, 200), (200, 0)), ((300, 100), (0, 100))]


@pytest.mark.parametrize(("box", "spare"), COVER_BOXES)
@pytest.mark.parametrize("gravity", COMPASS)
def test_compass_gravity_picks_that_part_of_the_image(http, gravity, box, spare):
    image = picture(
        http, path="gradient.png", width=box[0], height=box[1], fit="cover", gravity=gravity
    )
    assert size(image) == box
    assert_window(image, compass_origin(gravity, spare))


@pytest.mark.parametrize(
    ("path", "extra", "fill"),
    [
        ("gradient.jpg", {}, WHITE),
        ("gradient.png", {"background": "#ff0000"}, RED),
        ("alpha.png", {}, (0, 0, 0, 0)),
    ],
)
@pytest.mark.parametrize("gravity", ["north", "center", "south"])
def test_contain_pads_by_gravity_with_the_background(http, gravity, path, extra, fill):
    # 300x200 in a 300x300 box: scale 1, 100 rows of padding placed by gravity.
    image = picture(http, path=path, width=300, height=300, fit="contain", gravity=gravity, **extra)
    assert size(image) == (300, 300)
    top = compass_origin(gravity, (0, 100))[1]
    pad_row = 250 if top == 0 else 10
    if len(fill) == 4:  # transparent
        assert image.bands == 4 and pixel(image, 150, pad_row)[3] == 0
        assert pixel(image, 250, top + 100)[3] == 255  # the opaque half of alpha.png
    else:
        assert_close(pixel(image, 150, pad_row), fill, 12, "padding")
        assert_close(pixel(image, 150, top + 100), source(150, 100), 12, "image")


@pytest.mark.parametrize("gravity", ["smart", "entropy"])
def test_searching_gravities_keep_the_cover_box_on_the_gradient(http, gravity):
    image = picture(http, path="gradient.png", width=100, height=200, gravity=gravity)
    assert size(image) == (100, 200)


# --- crop ----------------------------------------------------------------------------------

# (x, y, width, height) on the 300x200 gradient -> expected size; past the edge is clipped.
CROPS = [
    ((10, 20, 50, 40), (50, 40)),
    ((0, 0, 300, 200), (300, 200)),
    ((250, 150, 100, 100), (50, 50)),
    ((100, 190, 50, 500), (50, 10)),
    ((299, 199, 10, 10), (1, 1)),
]


@pytest.mark.parametrize(("rect", "expected"), CROPS)
def test_crop_takes_the_rectangle_at_x_y_clipped_at_the_edge(http, rect, expected):
    x, y, width, height = rect
    image = picture(http, mode="crop", path="gradient.png", x=x, y=y, width=width, height=height)
    assert size(image) == expected
    assert_window(image, (x, y), tolerance=0)


@pytest.mark.parametrize(
    ("x", "y", "named"),
    [(300, 0, {"x"}), (0, 200, {"y"}), (5000, 999, {"x", "y"})],
)
def test_crop_origin_outside_the_image_is_400_naming_it(http, x, y, named):
    query = {"mode": "crop", "path": "gradient.png", "x": x, "y": y, "width": 10, "height": 10}
    answer = http.get("/image", params=query)
    assert answer.status_code == 400
    assert error_params(answer) == named


@pytest.mark.parametrize("gravity", COMPASS)
def test_crop_without_x_y_is_placed_by_gravity(http, gravity):
    image = picture(http, mode="crop", path="gradient.png", width=100, height=80, gravity=gravity)
    assert size(image) == (100, 80)
    assert_window(image, compass_origin(gravity, (200, 120)), tolerance=0)


@pytest.mark.parametrize("gravity", ["smart", "entropy", "center"])
def test_crop_by_gravity_larger_than_the_image_is_clipped(http, gravity):
    image = picture(http, mode="crop", path="gradient.png", width=500, height=50, gravity=gravity)
    assert size(image) == (300, 50)


def test_crop_counts_pixels_of_the_upright_source(http):
    # orient6.jpg is stored 300x200 and shown 200x300: y=250 only exists upright.
    image = picture(http, mode="crop", path="orient6.jpg", x=150, y=250, width=100, height=100)
    assert size(image) == (50, 50)
    # Shown (dx, dy) is stored (dy, 199 - dx) for orientation 6 (a quarter turn clockwise).
    assert_close(pixel(image, 0, 0), source(250, 199 - 150), 12, "top-left")
    assert_close(pixel(image, 49, 49), source(299, 199 - 199), 12, "bottom-right")


# --- flip and rotate -----------------------------------------------------------------------


def flipped_h(x, y):
    return W - 1 - x, y


def flipped_v(x, y):
    return x, H - 1 - y


def flipped_both(x, y):
    return W - 1 - x, H - 1 - y


@pytest.mark.parametrize(
    ("direction", "where"),
    [
        ("h", flipped_h),
        ("horizontal", flipped_h),
        ("v", flipped_v),
        ("vertical", flipped_v),
        ("both", flipped_both),
    ],
)
def test_flip_mirrors_the_pixels(http, direction, where):
    image = picture(http, mode="flip", path="gradient.png", direction=direction)
    assert size(image) == (W, H)
    for x, y in [(0, 0), (W - 1, 0), (10, 150), (W - 1, H - 1), (200, 30)]:
        assert_close(pixel(image, x, y), source(*where(x, y)), 0, f"{direction} at {x},{y}")


def quarter(x, y):  # 90 clockwise: the source's bottom-left comes to the top-left
    return y, H - 1 - x


def half(x, y):
    return W - 1 - x, H - 1 - y


def three_quarters(x, y):  # 270 clockwise = 90 anticlockwise
    return W - 1 - y, x


@pytest.mark.parametrize(
    ("degree", "expected", "where"),
    [
        ("90", (H, W), quarter),
        ("180", (W, H), half),
        ("270", (H, W), three_quarters),
        ("-90", (H, W), three_quarters),
        ("450", (H, W), quarter),
        ("360", (W, H), lambda x, y: (x, y)),
    ],
)
def test_rotate_by_right_angles_is_lossless(http, degree, expected, where):
    image = picture(http, mode="rotate", path="gradient.png", degree=degree)
    assert size(image) == expected
    w, h = expected
    for x, y in [(0, 0), (w - 1, 0), (5, 100), (w - 1, h - 1), (w // 3, h // 4)]:
        assert_close(pixel(image, x, y), source(*where(x, y)), 0, f"{degree} at {x},{y}")


def rotated_size(degree: float) -> tuple[float, float]:
    turn = math.radians(degree)
    cos, sin = abs(math.cos(turn)), abs(math.sin(turn))
    return W * cos + H * sin, W * sin + H * cos


# (source, extra parameters, bands of the answer, expected corner colour)
ROTATE_FILLS = [
    ("gradient.jpg", {}, 3, WHITE),
    ("alpha.png", {}, 4, (0, 0, 0, 0)),
    ("gradient.jpg", {"background": "#ff0000"}, 3, RED),
    ("alpha.png", {"background": "#ff0000"}, 4, (*RED, 255)),
    ("gradient.png", {"background": "#ff0000", "format": "jpeg"}, 3, RED),
]


@pytest.mark.parametrize(("path", "extra", "bands", "corner"), ROTATE_FILLS)
def test_rotate_45_expands_the_canvas_and_fills_it(http, path, extra, bands, corner):
    image = picture(http, mode="rotate", path=path, degree=45, **extra)
    expect_w, expect_h = rotated_size(45)  # 353.6 x 353.6
    assert abs(image.width - expect_w) <= 1.5 and abs(image.height - expect_h) <= 1.5
    assert image.bands == bands
    w, h = size(image)
    for x, y in [(1, 1), (w - 2, 1), (1, h - 2), (w - 2, h - 2)]:
        if len(corner) == 4 and corner[3] == 0:
            assert pixel(image, x, y)[3] == 0, f"alpha at {x},{y}"
        else:
            assert_close(pixel(image, x, y), corner, 12, f"corner {x},{y}")
    if path != "alpha.png":  # the centre of the source stays in the centre
        assert_close(pixel(image, w // 2, h // 2), source(W // 2, H // 2), 12, "centre")


def test_positive_degree_turns_clockwise(http):
    image = picture(http, mode="rotate", path="gradient.jpg", degree=30)
    expect_w, expect_h = rotated_size(30)  # 359.8 x 323.2
    assert abs(image.width - expect_w) <= 1.5 and abs(image.height - expect_h) <= 1.5
    # Turned clockwise about the centre, source (5, 5) lands near (102, 7) at the top edge,
    # and the left edge at that height is background; anticlockwise would be the reverse.
    assert_close(pixel(image, 102, 7), source(5, 5), 20, "source top-left corner")
    assert_close(pixel(image, 7, 102), WHITE, 12, "background on the left")


# --- formats -------------------------------------------------------------------------------

# format -> (Content-Type, libvips loader, canonical name)
FORMATS = {
    "jpeg": ("image/jpeg", "jpegload", "jpeg"),
    "jpg": ("image/jpeg", "jpegload", "jpeg"),
    "png": ("image/png", "pngload", "png"),
    "webp": ("image/webp", "webpload", "webp"),
    "avif": ("image/avif", "heifload", "avif"),
    "gif": ("image/gif", "gifload", "gif"),
}


def loader(image: pyvips.Image) -> str:
    return image.get("vips-loader").removesuffix("_buffer").removesuffix("_source")


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [(PHOTO, name, spec) for name, spec in FORMATS.items()]
    + [
        (PHOTO, "original", FORMATS["jpeg"]),
        ("gradient.png", "original", FORMATS["png"]),
        ("anim.webp", "original", FORMATS["webp"]),
        ("anim.gif", "original", FORMATS["gif"]),
    ],
)
def test_each_format_has_its_content_type_and_decodes_as_itself(http, path, fmt, expected):
    content_type, expected_loader, canonical = expected
    answer = fetch(http, path=path, width=100, format=fmt)
    assert answer.headers["content-type"] == content_type
    image = synth.load(answer.content)
    assert loader(image) == expected_loader
    if canonical == "avif":
        assert image.get("heif-compression") == "av1"
    assert image.width == 100
    assert "accept" not in vary_names(answer)
    described = http.get("/get", params={"path": path, "width": 100, "format": fmt}).json()
    assert described["format"] == canonical
    assert described["filename"].endswith("." + ("jpg" if canonical == "jpeg" else canonical))


AVIF_WEBP_ANY = "image/avif,image/webp,*/*"


@pytest.mark.parametrize(
    ("path", "accept", "expected"),
    [
        (PHOTO, AVIF_WEBP_ANY, "avif"),
        (PHOTO, "image/webp", "webp"),
        (PHOTO, "*/*", "jpeg"),
        (PHOTO, "image/avif;q=0.5,image/webp;q=0.9,*/*;q=0.1", "webp"),
        ("alpha.png", "*/*", "png"),
        ("alpha.png", "image/webp,*/*", "webp"),
        ("anim.gif", AVIF_WEBP_ANY, "webp"),  # animated images never get avif
        ("anim.gif", "*/*", "gif"),
    ],
)
def test_auto_picks_the_best_format_the_client_accepts(http, path, accept, expected):
    answer = fetch(http, accept=accept, path=path, width=100, format="auto")
    content_type, expected_loader, _ = FORMATS[expected]
    assert answer.headers["content-type"] == content_type
    assert loader(synth.load(answer.content)) == expected_loader
    assert "accept" in vary_names(answer)


def test_auto_with_different_accepts_gives_different_etags(http):
    avif = fetch(http, accept=AVIF_WEBP_ANY, path=PHOTO, width=120, format="auto")
    jpeg = fetch(http, accept="*/*", path=PHOTO, width=120, format="auto")
    assert avif.headers["etag"] != jpeg.headers["etag"]


@pytest.mark.parametrize(
    ("fmt", "given"),
    [("jpeg", "80"), ("jpg", "80"), ("webp", "80"), ("avif", "50"), ("png", "30"), ("gif", "7")],
)
def test_default_quality_and_ignored_quality_share_the_variant(http, fmt, given):
    implicit = fetch(http, path=PHOTO, width=150, format=fmt)
    explicit = fetch(http, path=PHOTO, width=150, format=fmt, quality=given)
    assert implicit.headers["etag"] == explicit.headers["etag"]
    assert implicit.content == explicit.content


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "avif"])
def test_lower_quality_gives_a_smaller_file(http, fmt):
    low = fetch(http, path=PHOTO, width=800, format=fmt, quality=30)
    high = fetch(http, path=PHOTO, width=800, format=fmt, quality=95)
    assert low.headers["etag"] != high.headers["etag"]
    assert len(low.content) < len(high.content)


# --- kinds of sources ----------------------------------------------------------------------


def test_exif_rotated_source_is_shown_upright(http):
    info = http.get("/info", params={"path": "orient6.jpg"}).json()
    assert (info["width"], info["height"], info["orientation"]) == (200, 300, 6)
    image = picture(http, path="orient6.jpg", width=100)
    assert size(image) == (100, 150)
    # Shown (dx, dy) is stored (dy, 199 - dx): the top-left is the stored bottom-left.
    assert_close(pixel(image, 2, 2), source(5, 194), 15, "top-left")
    assert_close(pixel(image, 97, 147), source(295, 5), 15, "bottom-right")


# Points where the gradient survives a CMYK round trip (its corners are out of gamut).
IN_GAMUT = [(100, 60), (150, 100), (200, 80), (80, 100), (220, 120)]
COLOUR_QUERIES = [
    {"width": 300},  # shrink-on-load path (scale 1)
    {"mode": "crop", "x": 0, "y": 0, "width": 300, "height": 200},
    {"mode": "rotate", "degree": 0},
    {"mode": "flip", "direction": "both"},
]


@pytest.mark.parametrize("fmt", ["original", "png", "jpeg"])
@pytest.mark.parametrize("path", ["cmyk.jpg", "deep.png"])
@pytest.mark.parametrize("query", COLOUR_QUERIES, ids=["thumbnail", "crop", "rotate", "flip"])
def test_cmyk_and_16_bit_sources_come_out_as_8_bit_srgb(http, path, fmt, query):
    image = picture(http, path=path, format=fmt, **query)
    assert size(image) == (W, H)
    assert (image.bands, image.format) == (3, "uchar")
    assert image.interpretation in ("srgb", "rgb")
    flipped = query.get("mode") == "flip"
    for x, y in IN_GAMUT:
        expected = source(*flipped_both(x, y)) if flipped else source(x, y)
        assert_close(pixel(image, x, y), expected, 12, f"{path} at {x},{y}")


ALPHA_QUERIES = [
    {"width": 300},
    {"mode": "crop", "x": 0, "y": 0, "width": 300, "height": 200},
    {"mode": "rotate", "degree": 180},
]


@pytest.mark.parametrize("query", ALPHA_QUERIES, ids=["thumbnail", "crop", "rotate"])
def test_alpha_source_keeps_its_alpha_in_png(http, query):
    image = picture(http, path="alpha.png", format="png", **query)
    assert size(image) == (W, H) and image.bands == 4
    clear, opaque = (20, 100), (280, 100)
    if query.get("mode") == "rotate":  # turned half round: the clear half is on the right
        clear, opaque = opaque, clear
    assert pixel(image, *clear)[3] == 0
    assert pixel(image, *opaque)[3] == 255


@pytest.mark.parametrize(
    ("extra", "fill"), [({}, WHITE), ({"background": "#ff0000"}, RED)], ids=["white", "red"]
)
@pytest.mark.parametrize("query", ALPHA_QUERIES, ids=["thumbnail", "crop", "rotate"])
def test_alpha_source_in_jpeg_is_flattened_onto_the_background(http, query, extra, fill):
    answer = fetch(http, path="alpha.png", format="jpeg", **query, **extra)
    assert answer.headers["content-type"] == "image/jpeg"
    image = synth.load(answer.content)
    assert size(image) == (W, H) and image.bands == 3
    rotated = query.get("mode") == "rotate"
    clear, opaque = ((280, 100), (20, 100)) if rotated else ((20, 100), (280, 100))
    assert_close(pixel(image, *clear), fill, 12, "transparent side")
    expected = source(*half(*opaque)) if rotated else source(*opaque)
    assert_close(pixel(image, *opaque), expected, 12, "opaque side")


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "png", "avif"])
def test_output_keeps_no_exif(http, images: Path, fmt):
    original = pyvips.Image.new_from_file(str(images / EXIF_PHOTO))
    assert "exif-data" in original.get_fields()  # so the test means something
    image = picture(http, path=EXIF_PHOTO, width=200, format=fmt)
    assert image.width == 200
    assert "exif-data" not in image.get_fields()


# --- animations ----------------------------------------------------------------------------

# (parameters, size of each frame of the answer)
ANIMATED_OPERATIONS = [
    ({"mode": "resize", "width": 60}, (60, 45)),
    ({"mode": "resize", "width": 60, "height": 60, "fit": "cover", "gravity": "smart"}, (60, 60)),
    ({"mode": "crop", "x": 10, "y": 20, "width": 50, "height": 40}, (50, 40)),
    ({"mode": "crop", "width": 50, "height": 40, "gravity": "southeast"}, (50, 40)),
    ({"mode": "flip", "direction": "h"}, (120, 90)),
    ({"mode": "rotate", "degree": 90}, (90, 120)),
]
ANIMATED_IDS = ["resize", "resize-smart", "crop-xy", "crop-gravity", "flip", "rotate"]


@pytest.mark.parametrize("fmt", ["gif", "webp"])
@pytest.mark.parametrize("path", ["anim.gif", "anim.webp"])
@pytest.mark.parametrize(("query", "frame_size"), ANIMATED_OPERATIONS, ids=ANIMATED_IDS)
def test_animations_keep_every_frame_in_gif_and_webp(http, path, fmt, query, frame_size):
    image = picture(http, animated=True, path=path, format=fmt, **query)
    assert synth.frames(image) == 3
    assert image.get("page-height") == frame_size[1]
    assert size(image) == (frame_size[0], 3 * frame_size[1])
    for index, colour in enumerate(FRAME_COLOURS):
        middle = frame(image, index)
        spot = pixel(middle, middle.width // 2, middle.height // 2)
        assert_close(spot, colour, 12, f"frame {index}")
    described = http.get("/get", params={"path": path, "format": fmt, **query}).json()
    assert (described["width"], described["height"]) == frame_size  # per frame


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
@pytest.mark.parametrize("path", ["anim.gif", "anim.webp"])
@pytest.mark.parametrize(("query", "frame_size"), ANIMATED_OPERATIONS, ids=ANIMATED_IDS)
def test_animations_give_their_first_frame_in_png_and_jpeg(http, path, fmt, query, frame_size):
    image = picture(http, path=path, format=fmt, **query)
    assert synth.frames(image) == 1
    assert size(image) == frame_size
    assert_close(pixel(image, image.width // 2, image.height // 2), FRAME_COLOURS[0], 12)


# --- /info ---------------------------------------------------------------------------------

INFOS = [
    ("gradient.png", {"format": "png", "width": 300, "height": 200, "frames": 1}, False, 1),
    ("gradient.jpg", {"format": "jpeg", "width": 300, "height": 200, "frames": 1}, False, 1),
    ("alpha.png", {"format": "png", "width": 300, "height": 200, "frames": 1}, True, 1),
    ("orient6.jpg", {"format": "jpeg", "width": 200, "height": 300, "frames": 1}, False, 6),
    ("deep.png", {"format": "png", "width": 300, "height": 200, "frames": 1}, False, 1),
    ("cmyk.jpg", {"format": "jpeg", "width": 300, "height": 200, "frames": 1}, False, 1),
    (PHOTO, {"format": "jpeg", "width": 2560, "height": 1600, "frames": 1}, False, 1),
    ("anim.gif", {"format": "gif", "width": 120, "height": 90, "frames": 3}, None, 1),
    ("anim.webp", {"format": "webp", "width": 120, "height": 90, "frames": 3}, None, 1),
]


@pytest.mark.parametrize(("path", "expected", "has_alpha", "orientation"), INFOS)
def test_info_describes_the_source(http, images: Path, path, expected, has_alpha, orientation):
    answer = http.get("/info", params={"path": path})
    assert answer.status_code == 200, answer.text
    info = answer.json()
    assert set(info) >= {"format", "width", "height", "frames", "has_alpha", "orientation", "bytes"}
    assert {k: info[k] for k in expected} == expected
    assert info["orientation"] == orientation
    assert info["bytes"] == (images / path).stat().st_size
    if has_alpha is not None:  # GIF frames always decode with an alpha band
        assert info["has_alpha"] is has_alpha
