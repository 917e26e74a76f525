"""The IIIF Image API dialect (3.0 and 2.1, level 2): parsing, its size rules, canonical
forms and info.json as pure functions, then the application's answers (in process).

The official validator's run is in test_iiif_validator.py; these tests pin what it does
not look at (every malformed parameter named at once, equivalent spellings sharing one
variant, identifiers with slashes, a mounted prefix, exact pixels).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
import pyvips

from fitter import geometry
from fitter.dialects.iiif import (
    Base,
    Image,
    ImageRequest,
    Info,
    Version,
    canonical_path,
    encode_identifier,
    info_document,
    parse_image,
    resolve,
    scale_factors,
    size_problems,
    split_path,
    with_limits,
)
from fitter.errors import InvalidRequest
from fitter.plan import Direction, Fit, ImageFormat, Mode, Region, Unit
from fitter.plan.filters import Bitonal, Grayscale
from support import images as synth

V2, V3 = Version.V2, Version.V3
LIMIT = (8192, 8192)
ID = "67352ccc-d1b0-11e1-89ae-279075081939"


def request_of(version: Version, params: str, path: str = "a.png") -> ImageRequest:
    target = split_path(f"{path}/{params}")
    assert isinstance(target, Image)
    return with_limits(parse_image(version, path, target), LIMIT)


def problems_of(version: Version, params: str) -> list[str | None]:
    with pytest.raises(InvalidRequest) as caught:
        request_of(version, params)
    for problem in caught.value.problems:
        assert problem.message
    return [problem.param for problem in caught.value.problems]


def resolved(version: Version, params: str, source: tuple[int, int] = (1000, 800)):
    """What the server does with the header's size: the exact Plan, or the size problems."""
    request = request_of(version, params)
    box = geometry.region_box(request.plan.region, source)
    size, _, _ = geometry.size_stage(request.plan, (box[2], box[3]), LIMIT)
    problems = size_problems(request, (box[2], box[3]), size)
    if problems:
        return [p.param for p in problems]
    return resolve(request, source, box, size)


# --- the path -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a.png/info.json", Info("a.png")),
        ("a%2Fb.jpg/info.json", Info("a/b.jpg")),
        ("a/b.jpg/info.json", Info("a/b.jpg")),
        ("a%2Fb.jpg/full/max/0/default.jpg", Image("a/b.jpg", "full", "max", "0", "default.jpg")),
        ("a/b/full/max/0/default.jpg", Image("a/b", "full", "max", "0", "default.jpg")),
        (
            f"{ID.replace('-', '%2D')}/full/max/0/default.jpg",
            Image(ID, "full", "max", "0", "default.jpg"),
        ),
        ("a.png/full/%5Emax/0/default.jpg", Image("a.png", "full", "^max", "0", "default.jpg")),
        ("a.png", Base("a.png")),
        ("a.png/", Base("a.png")),
        ("photos/a.png", Base("photos/a.png")),
        ("caf%C3%A9.png", Base("café.png")),
    ],
)
def test_the_path_names_the_request_and_its_decoded_identifier(raw, expected):
    assert split_path(raw) == expected


def test_identifiers_are_written_with_their_slashes_encoded():
    assert encode_identifier("a/b c.jpg") == "a%2Fb%20c.jpg"
    assert encode_identifier("x[1]?#%.png") == "x%5B1%5D%3F%23%25.png"
    assert encode_identifier(ID) == ID


# --- parameters into a Plan -----------------------------------------------------------------


def test_full_max_is_the_region_fitted_inside_the_limits_never_upscaled():
    request = request_of(V3, "full/max/0/default.jpg")
    plan = request.plan
    assert request.largest and not request.upscale
    assert (plan.region, plan.mode, plan.fit, plan.upscale) == (
        None,
        Mode.RESIZE,
        Fit.INSIDE,
        False,
    )
    assert (plan.width, plan.height) == LIMIT
    assert (plan.format, plan.filters, plan.degree, plan.direction) == (
        ImageFormat.JPEG,
        (),
        0,
        None,
    )
    # ^max may grow to the limits.
    assert request_of(V3, "full/^max/0/default.jpg").plan.upscale
    # 2.1's full is max.
    assert request_of(V2, "full/full/0/default.jpg").plan == plan


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("full", None),
        ("square", Region(Unit.SQUARE)),
        ("10,20,30,40", Region(Unit.PIXELS, 10, 20, 30, 40)),
        ("pct:10,20,30.5,40", Region(Unit.PERCENT, 10, 20, 30.5, 40)),
    ],
)
def test_regions(region, expected):
    assert request_of(V3, f"{region}/max/0/default.jpg").plan.region == expected


@pytest.mark.parametrize(
    ("version", "size", "expected"),
    [
        (V3, "150,", (150, 0, 0.0, Fit.FILL, False)),
        (V3, ",150", (0, 150, 0.0, Fit.FILL, False)),
        (V3, "pct:50", (0, 0, 0.5, Fit.FILL, False)),
        (V3, "200,100", (200, 100, 0.0, Fit.FILL, False)),
        (V3, "!200,100", (200, 100, 0.0, Fit.INSIDE, False)),
        (V3, "^300,", (300, 0, 0.0, Fit.FILL, True)),
        (V3, "^!300,300", (300, 300, 0.0, Fit.INSIDE, True)),
        (V3, "^pct:150", (0, 0, 1.5, Fit.FILL, True)),
        (V2, "150,", (150, 0, 0.0, Fit.FILL, True)),
        (V2, "!200,100", (200, 100, 0.0, Fit.INSIDE, True)),
        (V2, "pct:150", (0, 0, 1.5, Fit.FILL, True)),
    ],
)
def test_sizes(version, size, expected):
    request = request_of(version, f"full/{size}/0/default.jpg")
    plan = request.plan
    assert (plan.width, plan.height, plan.scale, plan.fit, request.upscale) == expected
    assert plan.mode is Mode.RESIZE and not request.largest


@pytest.mark.parametrize(
    ("rotation", "mirrored", "degree"),
    [
        ("0", False, 0),
        ("90", False, 90),
        ("!0", True, 0),
        ("!180", True, 180),
        ("22.5", False, 22.5),
        ("360", False, 0),
    ],
)
def test_rotation_mirrors_first_then_turns_clockwise(rotation, mirrored, degree):
    plan = request_of(V3, f"full/max/{rotation}/default.jpg").plan
    assert plan.direction == (Direction.HORIZONTAL if mirrored else None)
    assert plan.degree == degree


@pytest.mark.parametrize(
    ("quality", "filters"),
    [
        ("default", ()),
        ("color", ()),
        ("gray", (Grayscale(),)),
        ("bitonal", (Bitonal(),)),
    ],
)
def test_qualities_are_filters(quality, filters):
    assert request_of(V2, f"full/max/0/{quality}.png").plan.filters == filters


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        ("jpg", ImageFormat.JPEG),
        ("png", ImageFormat.PNG),
        ("webp", ImageFormat.WEBP),
        ("gif", ImageFormat.GIF),
    ],
)
def test_formats(extension, expected):
    assert request_of(V3, f"full/max/0/default.{extension}").plan.format == expected


@pytest.mark.parametrize(
    ("version", "params", "expected"),
    [
        (V3, "foo/max/0/default.jpg", ["region"]),
        (V3, "0,0,0,10/max/0/default.jpg", ["region"]),
        (V3, "pct:1,2,3/max/0/default.jpg", ["region"]),
        (V3, "-1,0,10,10/max/0/default.jpg", ["region"]),
        (V3, "full/full/0/default.jpg", ["size"]),
        (V2, "full/^max/0/default.jpg", ["size"]),
        (V3, "full/0,/0/default.jpg", ["size"]),
        (V3, "full/,0/0/default.jpg", ["size"]),
        (V3, "full/,/0/default.jpg", ["size"]),
        (V3, "full/!100,/0/default.jpg", ["size"]),
        (V3, "full/pct:0/0/default.jpg", ["size"]),
        (V3, "full/^^max/0/default.jpg", ["size"]),
        (V3, "full/max/361/default.jpg", ["rotation"]),
        (V3, "full/max/-90/default.jpg", ["rotation"]),
        (V3, "full/max/!!90/default.jpg", ["rotation"]),
        (V3, "full/max/0/grey.jpg", ["quality"]),
        (V2, "full/max/0/native.jpg", ["quality"]),
        (V3, "full/max/0/default.tif", ["format"]),
        (V3, "full/max/0/default.jp2", ["format"]),
        (V3, "full/max/0/default", ["format"]),
        (V3, "x/y/z/w.v", ["region", "size", "rotation", "quality", "format"]),
    ],
)
def test_malformed_parameters_are_400_naming_each_one(version, params, expected):
    assert problems_of(version, params) == expected


# --- the rules that need the source's size --------------------------------------------------


@pytest.mark.parametrize(
    ("params", "problems"),
    [
        ("full/1100,/0/default.jpg", ["size"]),
        ("full/,900/0/default.jpg", ["size"]),
        ("full/1000,801/0/default.jpg", ["size"]),
        ("full/pct:101/0/default.jpg", ["size"]),
        # The validator's size_noup wants a 400 for a confined box that would upscale too.
        ("full/!2000,3000/0/default.jpg", ["size"]),
        ("0,0,100,100/101,101/0/default.jpg", ["size"]),
    ],
)
def test_version_3_upscales_only_after_a_caret(params, problems):
    assert resolved(V3, params) == problems
    caret = params.replace("full/", "full/^").replace("/101,", "/^101,")
    assert not isinstance(resolved(V3, caret), list)
    # 2.1 may always upscale.
    assert not isinstance(resolved(V2, params), list)


def test_max_is_never_an_upscale_and_fits_the_limits():
    plan = resolved(V3, "full/max/0/default.jpg", (10000, 5000))
    assert (plan.mode, plan.width, plan.height) == (Mode.RESIZE, 8192, 4096)
    assert resolved(V3, "full/max/0/default.jpg", (1000, 800)).mode is Mode.KEEP
    assert resolved(V3, "full/^max/0/default.jpg", (1000, 800)).width == 8192


def test_a_region_outside_the_image_is_400():
    with pytest.raises(InvalidRequest) as caught:
        resolved(V3, "1000,0,10,10/max/0/default.jpg")
    assert caught.value.problems[0].param == "region"


@pytest.mark.parametrize(
    "params",
    [
        "full/max/0/default.jpg",
        "0,0,1000,800/max/0/default.jpg",
        "pct:0,0,100,100/1000,800/0/color.jpg",
        "full/pct:100/0/default.jpg",
        "full/1000,/0/default.jpg",
        "full/!1000,1000/0/default.jpg",
    ],
)
def test_equivalent_spellings_give_one_plan(params):
    plan = resolved(V3, params)
    assert (plan.region, plan.mode, plan.width, plan.height) == (None, Mode.KEEP, 0, 0)
    assert plan == resolved(V3, "full/max/0/default.jpg")


def test_the_resolved_plan_is_pixel_exact():
    plan = resolved(V3, "pct:10,10,50,50/!100,100/!90/gray.png")
    assert plan.region == Region(Unit.PIXELS, 100, 80, 500, 400)
    assert (plan.mode, plan.fit, plan.width, plan.height) == (Mode.RESIZE, Fit.FILL, 100, 80)
    assert (plan.direction, plan.degree, plan.format) == (Direction.HORIZONTAL, 90, ImageFormat.PNG)
    square = resolved(V3, "square/max/0/default.jpg")
    assert square.region == Region(Unit.PIXELS, 100, 0, 800, 800)


@pytest.mark.parametrize(
    ("version", "params", "canonical"),
    [
        (V3, "full/max/0/default.jpg", "full/max/0/default.jpg"),
        (V3, "0,0,1000,800/1000,/0/default.jpg", "full/max/0/default.jpg"),
        (V3, "pct:10,10,50,50/!100,100/!90/gray.png", "100,80,500,400/100,80/!90/gray.png"),
        (V3, "full/pct:50/22.5/bitonal.webp", "full/500,400/22.5/bitonal.webp"),
        (V3, "full/^1200,/0/default.jpg", "full/^1200,960/0/default.jpg"),
        (V3, "0,0,100,100/^!300,200/0/default.jpg", "0,0,100,100/^200,200/0/default.jpg"),
        (V2, "full/full/0/default.jpg", "full/full/0/default.jpg"),
        (V2, "full/,400/0/default.jpg", "full/500,/0/default.jpg"),
        (V2, "full/500,500/0/default.jpg", "full/500,500/0/default.jpg"),
        (V2, "square/max/180/color.gif", "100,0,800,800/full/180/color.gif"),
    ],
)
def test_canonical_uri_paths(version, params, canonical):
    request = request_of(version, params)
    source = (1000, 800)
    box = geometry.region_box(request.plan.region, source)
    size, _, _ = geometry.size_stage(request.plan, (box[2], box[3]), LIMIT)
    largest = geometry.resize_geometry((box[2], box[3]), *LIMIT, Fit.INSIDE, False, LIMIT).output
    assert canonical_path(request, source, box, size, largest) == canonical


# --- info.json ------------------------------------------------------------------------------


def test_info_json_3():
    info = info_document(V3, "http://h/iiif/3/a.png", (3000, 2000), LIMIT)
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert (info["id"], info["type"], info["profile"]) == (
        "http://h/iiif/3/a.png",
        "ImageService3",
        "level2",
    )
    assert info["protocol"] == "http://iiif.io/api/image"
    assert (info["width"], info["height"], info["maxWidth"], info["maxHeight"]) == (
        3000,
        2000,
        8192,
        8192,
    )
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4, 8]}]
    assert info["sizes"][0] == {"width": 94, "height": 63}
    assert info["sizes"][-1] == {"width": 3000, "height": 2000}
    assert "tif" not in info["extraFormats"]
    assert set(info["extraQualities"]) == {"color", "gray", "bitonal"}
    assert "sizeUpscaling" in info["extraFeatures"] and "mirroring" in info["extraFeatures"]


def test_info_json_2():
    info = info_document(V2, "http://h/iiif/2/a.png", (3000, 2000), (2000, 2000))
    assert info["@context"] == "http://iiif.io/api/image/2/context.json"
    assert info["@id"] == "http://h/iiif/2/a.png"
    level, extra = info["profile"]
    assert level == "http://iiif.io/api/image/2/level2.json"
    assert extra["formats"] == ["jpg", "png", "webp", "gif"]
    assert (extra["maxWidth"], extra["maxHeight"]) == (2000, 2000)
    assert "sizeAboveFull" in extra["supports"]
    # A size over the limits is not offered.
    assert info["sizes"][-1] == {"width": 1500, "height": 1000}


def test_scale_factors_go_until_the_image_fits_one_tile():
    assert scale_factors((512, 100)) == [1]
    assert scale_factors((513, 100)) == [1, 2]
    assert scale_factors((100, 5000)) == [1, 2, 4, 8, 16]


# --- the application's answers (in process) --------------------------------------------------


def source_pixels(root: Path, name: str) -> pyvips.Image:
    return pyvips.Image.new_from_file(str(root / name)).autorot()


def pixel(image: pyvips.Image, x: int, y: int) -> list[float]:
    return image.getpoint(x, y)[:3]


@pytest.mark.parametrize("version", ["3", "2"])
def test_info_json_names_the_requested_base_uri(http, app, version):
    answer = http.get(f"/iiif/{version}/wallpaper%2Flion.png/info.json")
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["content-type"] == "application/json"
    info = answer.json()
    base = f"{app.url}/iiif/{version}/wallpaper%2Flion.png"
    assert info["id" if version == "3" else "@id"] == base
    lion = source_pixels(app.root, "wallpaper/lion.png")
    assert (info["width"], info["height"]) == (lion.width, lion.height)
    # The unencoded spelling finds it too, and names the canonical base.
    again = http.get(f"/iiif/{version}/wallpaper/lion.png/info.json").json()
    assert again == info


def test_info_json_gives_the_upright_size(http):
    info = http.get("/iiif/3/orient6.jpg/info.json").json()
    assert (info["width"], info["height"]) == (200, 300)


@pytest.mark.parametrize(
    ("version", "accept", "content_type"),
    [
        (
            "3",
            "application/ld+json",
            'application/ld+json;profile="http://iiif.io/api/image/3/context.json"',
        ),
        ("2", "application/ld+json", "application/ld+json"),
        ("3", "application/json, application/ld+json;q=0.5", "application/json"),
        ("3", "*/*", "application/json"),
    ],
)
def test_json_ld_is_negotiated(http, version, accept, content_type):
    answer = http.get(f"/iiif/{version}/gradient.png/info.json", headers={"Accept": accept})
    assert answer.headers["content-type"] == content_type
    assert "Accept" in answer.headers["vary"]


def test_plain_json_2_links_its_context(http):
    answer = http.get("/iiif/2/gradient.png/info.json")
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in answer.headers["link"]


@pytest.mark.parametrize("version", ["3", "2"])
def test_the_base_uri_redirects_to_info_json(http, app, version):
    answer = http.get(f"/iiif/{version}/wallpaper%2Flion.png")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{app.url}/iiif/{version}/wallpaper%2Flion.png/info.json"
    assert answer.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        "/iiif/3/nothing-here.png/info.json",
        "/iiif/3/nothing-here.png",
        "/iiif/2/nothing-here.png/full/max/0/default.jpg",
        "/iiif/3/a.png%2Fb/full/max/0/default.jpg",
        # A symlink leaving the source root is a 404 like a missing file.
        "/iiif/3/escape.png/info.json",
    ],
)
def test_unknown_identifiers_are_404_with_cors(http, app, path):
    answer = http.get(path)
    assert answer.status_code == 404, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.json()["errors"][0]["param"] == "identifier"
    assert str(app.root) not in answer.text


def test_malformed_requests_are_400_json_naming_every_parameter_with_cors(http):
    answer = http.get("/iiif/3/gradient.png/foo/bar/x/grey.tif")
    assert answer.status_code == 400
    assert answer.headers["access-control-allow-origin"] == "*"
    params = [e["param"] for e in answer.json()["errors"]]
    assert params == ["region", "size", "rotation", "quality", "format"]
    dots = http.get("/iiif/3/..%2Fsecret.png/info.json")
    assert dots.status_code == 400
    assert dots.json()["errors"][0]["param"] == "identifier"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/iiif/3/gradient.png/full/400,/0/default.jpg", 400),
        ("/iiif/3/gradient.png/full/^400,/0/default.jpg", 200),
        ("/iiif/2/gradient.png/full/400,/0/default.jpg", 200),
        ("/iiif/3/gradient.png/full/full/0/default.jpg", 400),
        ("/iiif/2/gradient.png/full/full/0/default.jpg", 200),
        ("/iiif/3/gradient.png/300,0,10,10/max/0/default.jpg", 400),
        ("/iiif/2/gradient.png/full/9000,/0/default.jpg", 400),
    ],
)
def test_size_rules_of_each_version(http, path, status):
    answer = http.get(path)
    assert answer.status_code == status, answer.text
    if status == 400:
        assert answer.json()["errors"][0]["param"] in ("size", "region")


def image_of(http: httpx.Client, path: str) -> pyvips.Image:
    answer = http.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    return synth.load(answer.content)


def test_a_region_answers_those_pixels(http, app):
    source = source_pixels(app.root, "gradient.png")
    part = image_of(http, "/iiif/3/gradient.png/100,50,60,40/max/0/default.png")
    assert (part.width, part.height) == (60, 40)
    assert pixel(part, 0, 0) == pixel(source, 100, 50)
    assert pixel(part, 59, 39) == pixel(source, 159, 89)
    square = image_of(http, "/iiif/3/gradient.png/square/max/0/default.png")
    assert (square.width, square.height) == (200, 200)
    assert pixel(square, 0, 0) == pixel(source, 50, 0)
    percent = image_of(http, "/iiif/2/gradient.png/pct:50,50,50,50/full/0/default.png")
    assert (percent.width, percent.height) == (150, 100)
    assert pixel(percent, 0, 0) == pixel(source, 150, 100)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("150,", (150, 100)),
        (",50", (75, 50)),
        ("pct:50", (150, 100)),
        ("100,100", (100, 100)),
        ("!100,100", (100, 67)),
    ],
)
def test_sizes_answer_their_size(http, size, expected):
    found = image_of(http, f"/iiif/3/gradient.png/full/{size}/0/default.jpg")
    assert (found.width, found.height) == expected


def test_mirroring_and_rotation(http, app):
    source = source_pixels(app.root, "gradient.png")
    mirrored = image_of(http, "/iiif/3/gradient.png/full/max/!0/default.png")
    assert pixel(mirrored, 0, 0) == pixel(source, 299, 0)
    turned = image_of(http, "/iiif/3/gradient.png/full/max/90/default.png")
    assert (turned.width, turned.height) == (200, 300)
    assert pixel(turned, 0, 0) == pixel(source, 0, 199)
    both = image_of(http, "/iiif/2/gradient.png/full/full/!90/default.png")
    assert pixel(both, 0, 0) == pixel(source, 299, 199)
    tilted = image_of(http, "/iiif/3/gradient.png/full/max/45/default.png")
    assert tilted.width == tilted.height == 354
    assert tilted.hasalpha() and tilted.getpoint(0, 0)[3] == 0


def test_gray_and_bitonal_qualities(http):
    gray = image_of(http, "/iiif/3/gradient.png/full/max/0/gray.png")
    assert gray.bands == 1 or all(len(set(gray.getpoint(x, 100)[:3])) == 1 for x in (0, 150, 299))
    bitonal = image_of(http, "/iiif/3/gradient.png/full/max/0/bitonal.png")
    histogram = bitonal.extract_band(0).hist_find()
    used = {v for v in range(256) if histogram.getpoint(v, 0)[0] > 0}
    assert used == {0, 255}


@pytest.mark.parametrize(
    ("extension", "media_type"),
    [("jpg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp"), ("gif", "image/gif")],
)
def test_formats_answer_their_content_type(http, extension, media_type):
    answer = http.get(f"/iiif/3/a.png/full/max/0/default.{extension}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == media_type


def test_images_link_their_canonical_uri_and_profile(http, app):
    answer = http.get("/iiif/3/gradient.png/0,0,300,200/300,/0/color.jpg")
    base = f"{app.url}/iiif/3/gradient.png"
    link = answer.headers["link"]
    assert f'<{base}/full/max/0/color.jpg>;rel="canonical"' in link
    assert '<http://iiif.io/api/image/3/level2.json>;rel="profile"' in link
    two = http.get("/iiif/2/gradient.png/full/150,/0/default.jpg").headers["link"]
    assert f'<{app.url}/iiif/2/gradient.png/full/150,/0/default.jpg>;rel="canonical"' in two


@pytest.mark.parametrize(
    "path",
    [
        "/iiif/3/gradient.png/full/^600,/0/default.png",
        "/iiif/3/gradient.png/full/^max/0/default.jpg",
    ],
)
def test_the_canonical_uri_of_an_upscale_answers_the_same_image(http, path):
    answer = http.get(path)
    assert answer.status_code == 200, answer.text
    canonical = answer.headers["link"].split(">;", 1)[0].lstrip("<")
    again = http.get(canonical)
    assert again.status_code == 200, (canonical, again.text)
    assert again.headers["etag"] == answer.headers["etag"]


def test_equivalent_requests_share_one_variant_and_its_etag(http):
    spellings = [
        "/iiif/3/gradient.png/full/max/0/default.jpg",
        "/iiif/3/gradient.png/0,0,300,200/300,200/0/color.jpg",
        "/iiif/3/gradient.png/pct:0,0,100,100/pct:100/0/default.jpg",
        "/iiif/2/gradient.png/full/full/0/default.jpg",
    ]
    etags = {http.get(path).headers["etag"] for path in spellings}
    assert len(etags) == 1
    again = http.get(spellings[0], headers={"If-None-Match": etags.pop()})
    assert again.status_code == 304
    assert again.headers["access-control-allow-origin"] == "*"


def test_a_tile_of_a_photograph(http, app):
    """What a viewer asks for: a 512 px tile at scale factor 2 of a 2560x1600 photograph."""
    photo = sorted((app.root / "photos").glob("*.jpg"))[0].name
    info = http.get(f"/iiif/3/photos%2F{photo}/info.json").json()
    assert info["tiles"][0]["scaleFactors"] == [1, 2, 4, 8]
    tile = image_of(http, f"/iiif/3/photos%2F{photo}/1024,1024,1024,576/512,288/0/default.jpg")
    assert (tile.width, tile.height) == (512, 288)


@pytest.mark.anyio
async def test_a_mounted_fitter_names_its_prefix_in_ids_and_redirects(images):
    from fastapi import FastAPI

    import fitter
    from fitter.config import build_config

    store = images.parent / f"mounted-iiif-{uuid.uuid4().hex[:6]}"
    config = build_config(
        {
            "storage": {
                "source": {"type": "fs", "location": str(images)},
                "store": {"type": "fs", "location": str(store)},
            }
        },
        {},
    )
    app = FastAPI()
    mounted = fitter.create_app(config)
    app.mount("/img", mounted)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        info = (await client.get("/img/iiif/3/wallpaper%2Flion.png/info.json")).json()
        assert info["id"] == "http://site/img/iiif/3/wallpaper%2Flion.png"
        base = await client.get("/img/iiif/2/a.png")
        assert base.headers["location"] == "http://site/img/iiif/2/a.png/info.json"
        tile = await client.get("/img/iiif/3/a.png/full/32,/0/default.png")
        assert synth.load(tile.content).width == 32
    await mounted.state.services.close()


# --- where IIIF is served ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "iiif", "status"),
    [
        ({"key": ["k"]}, None, 404),  # signatures required: viewers cannot sign tiles
        ({"key": ["k"], "allow_unsigned": True}, None, 200),
        ({"key": ["k"]}, {"enabled": True}, 200),
        ({}, {"enabled": False}, 404),
    ],
)
def test_iiif_is_served_where_unsigned_urls_are(make_app, security, iiif, status):
    sections = {"security": security} | ({"iiif": iiif} if iiif is not None else {})
    running = make_app(**sections)
    with running.client() as http:
        answer = http.get("/iiif/3/gradient.png/info.json")
    assert answer.status_code == status, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    if status == 404:
        assert answer.json()["errors"][0]["message"].startswith("the IIIF endpoints are off")
    else:
        assert answer.json()["width"] == 300


@pytest.mark.parametrize(
    "options",
    [
        {"presets_only": True, "presets": {"small": {"width": 100}}},
        {"allowed_sizes": ["100x100"]},
    ],
)
def test_a_server_of_fixed_variants_has_no_iiif(make_app, options):
    """IIIF asks for any size; a server that serves fixed variants only refuses it whole."""
    with make_app(options=options).client() as http:
        for path in (
            "/iiif/3/gradient.png/info.json",
            "/iiif/3/gradient.png/full/100,100/0/default.jpg",
        ):
            answer = http.get(path)
            assert answer.status_code == 403, answer.text
            assert answer.headers["access-control-allow-origin"] == "*"
            assert "fixed variants only" in answer.json()["errors"][0]["message"]


def test_allowed_formats_hold_for_iiif(make_app):
    with make_app(options={"allowed_formats": ["png"]}).client() as http:
        assert http.get("/iiif/3/gradient.png/full/50,/0/default.png").status_code == 200
        refused = http.get("/iiif/3/gradient.png/full/50,/0/default.jpg")
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["param"] == "format"
