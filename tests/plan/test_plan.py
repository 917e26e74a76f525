"""Variant keys, output resolution and format negotiation (DESIGN.md section 1 "Plan" and
section 3 "Precise semantics": format, quality)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fitter.config import Limits, Options
from fitter.dialects.native import parse
from fitter.dialects.rules import Rules
from fitter.models import SourceInfo
from fitter.plan import ImageFormat, Output, Plan, negotiate, resolve_output, variant_key

RULES = Rules.of(Options(), Limits())

JPEG = SourceInfo(format="jpeg", width=2000, height=1000)
PNG = SourceInfo(format="png", width=2000, height=1000)
PNG_ALPHA = SourceInfo(format="png", width=2000, height=1000, has_alpha=True)
ANIMATED_GIF = SourceInfo(format="gif", width=120, height=90, frames=3, has_alpha=True)
ANIMATED_WEBP = SourceInfo(format="webp", width=120, height=90, frames=3)


def plan_of(query: str) -> Plan:
    return parse(parse_qsl(query, keep_blank_values=True), RULES)


def key_of(
    query: str, info: SourceInfo = JPEG, accept: str | None = None, version: str = "etag-1"
) -> str:
    plan = plan_of(query)
    return variant_key(plan, resolve_output(plan, info, accept), version)


# --- equivalent spellings share one key -----------------------------------------------------

SAME = [
    pytest.param(
        [
            "path=a.png&width=300&height=200&fit=contain&gravity=north",
            "gravity=north&fit=contain&height=200&width=300&path=a.png",
            "fit=contain&path=a.png&gravity=north&height=200&width=300",
        ],
        id="parameter-order",
    ),
    pytest.param(
        [
            "path=a.png&width=300&height=200",
            "path=a.png&w=300&h=200",
            "path=a.png&w=300&height=200",
            "path=a.png&width=0300&height=200",
        ],
        id="w-width",
    ),
    pytest.param(
        [
            "path=a.png&width=300",
            "path=a.png&width=300&upscale=yes",
            "path=a.png&width=300&upscale=true",
            "path=a.png&width=300&upscale=1",
            "path=a.png&width=300&upscale=on",
            "path=a.png&width=300&upscale=TRUE",
        ],
        id="upscale-true",
    ),
    pytest.param(
        [
            "path=a.png&width=300&upscale=no",
            "path=a.png&width=300&upscale=false",
            "path=a.png&width=300&upscale=0",
            "path=a.png&width=300&upscale=off",
        ],
        id="upscale-false",
    ),
    pytest.param(
        [
            "path=a.png&width=300&format=jpeg&quality=080",
            "path=a.png&width=300&format=jpeg&quality=80",
        ],
        id="quality-leading-zero",
    ),
    pytest.param(
        [
            "mode=thumbnail&fit=fill&path=a.png&width=300&height=400",
            "mode=resize&path=a.png&width=300&height=400",
            "mode=resize&fit=fill&path=a.png&width=300&height=400",
        ],
        id="thumbnail-fill-is-resize",
    ),
    pytest.param(
        [
            "mode=resize&fit=cover&path=a.png&width=300&height=400",
            "mode=thumbnail&path=a.png&width=300&height=400",
            "path=a.png&width=300&height=400",
        ],
        id="resize-cover-is-thumbnail",
    ),
    pytest.param(
        [
            "path=a.png&width=300&format=jpg",
            "path=a.png&width=300&format=jpeg",
            "path=a.png&width=300&format=JPG",
        ],
        id="jpg-jpeg",
    ),
    pytest.param(
        [
            "path=a.png&width=300&format=jpeg&quality=80",
            "path=a.png&width=300&format=jpeg",
            "path=a.png&width=300&format=original&quality=80",
            "path=a.png&width=300",
        ],
        id="default-jpeg-quality",
    ),
    pytest.param(
        ["path=a.png&width=300&format=webp&quality=80", "path=a.png&width=300&format=webp"],
        id="default-webp-quality",
    ),
    pytest.param(
        ["path=a.png&width=300&format=avif&quality=50", "path=a.png&width=300&format=avif"],
        id="default-avif-quality",
    ),
    pytest.param(
        [
            "path=a.png&width=300&format=png",
            "path=a.png&width=300&format=png&quality=10",
            "path=a.png&width=300&format=png&quality=95",
        ],
        id="png-ignores-quality",
    ),
    pytest.param(
        ["path=a.png&width=300&format=gif", "path=a.png&width=300&format=gif&quality=10"],
        id="gif-ignores-quality",
    ),
    pytest.param(
        [
            "mode=rotate&path=a.png&degree=270",
            "mode=rotate&path=a.png&degree=-90",
            "mode=rotate&path=a.png&degree=630",
            "mode=rotate&path=a.png&degree=270.0",
            "mode=rotate&path=a.png&degree=-450",
        ],
        id="degree-modulo-360",
    ),
    pytest.param(
        ["mode=rotate&path=a.png&degree=0", "mode=rotate&path=a.png&degree=360"],
        id="degree-zero",
    ),
    pytest.param(
        [
            "mode=flip&path=a.png&direction=h",
            "mode=flip&path=a.png&direction=horizontal",
            "mode=flip&path=a.png&direction=H",
        ],
        id="flip-h",
    ),
    pytest.param(
        ["path=/a.png&width=300", "path=a.png&width=300", "path=./a.png&width=300"],
        id="leading-slash",
    ),
    pytest.param(
        ["path=a.png&width=300", "path=a.png&width=300&sig=0123abcd"],
        id="sig-not-in-key",
    ),
    pytest.param(
        [
            # With one side derived every fit gives the same size.
            "path=a.png&width=300",
            "path=a.png&width=300&height=0&fit=contain",
            "mode=resize&path=a.png&width=300",
            "path=a.png&width=300&fit=inside&gravity=south",
        ],
        id="derived-side-any-fit",
    ),
    pytest.param(
        [
            "mode=resize&path=a.png&width=300&height=200",
            "mode=resize&path=a.png&width=300&height=200&gravity=north",
        ],
        id="gravity-ignored-by-fill",
    ),
    pytest.param(
        [
            "mode=rotate&path=a.png&degree=90",
            "mode=rotate&path=a.png&degree=90&width=300&height=10&fit=contain&upscale=no",
        ],
        id="rotate-ignores-sizes",
    ),
    pytest.param(
        [
            "mode=crop&path=a.png&width=30&height=20&x=1&y=2",
            "mode=crop&path=a.png&width=30&height=20&x=1&y=2&gravity=north&fit=fill",
        ],
        id="crop-ignores-fit-and-gravity-with-origin",
    ),
    pytest.param(
        ["path=a.png&width=300&background=red", "path=a.png&width=300&background=%23ff0000"],
        id="background-spellings",
    ),
]


@pytest.mark.parametrize("queries", SAME)
def test_equivalent_requests_share_a_key(queries: list[str]) -> None:
    keys = {key_of(query) for query in queries}
    assert len(keys) == 1, queries


def test_explicit_default_quality_with_auto() -> None:
    accept = "image/avif,image/webp,*/*"
    assert key_of("path=a.png&width=300&format=auto&quality=50", accept=accept) == key_of(
        "path=a.png&width=300&format=auto", accept=accept
    )
    accept = "image/webp,*/*"
    assert key_of("path=a.png&width=300&format=auto&quality=80", accept=accept) == key_of(
        "path=a.png&width=300&format=auto", accept=accept
    )


def test_original_and_its_explicit_format_share_a_key() -> None:
    assert key_of("path=a.png&width=300", info=PNG) == key_of(
        "path=a.png&width=300&format=png", info=PNG
    )
    assert key_of("path=a.png&width=300", info=JPEG) == key_of(
        "path=a.png&width=300&format=jpeg", info=JPEG
    )


def test_key_is_stable_hex() -> None:
    key = key_of("path=a.png&width=300")
    assert key == key_of("path=a.png&width=300")
    assert len(key) == 32
    int(key, 16)


# --- different requests never share a key ---------------------------------------------------

DIFFERENT = [
    pytest.param(
        ["path=a.png&width=300&height=0", "path=a.png&width=0&height=300"],
        id="seed-md5-concatenation-bug",
    ),
    pytest.param(
        ["path=a.png&width=30&height=0", "path=a.png&width=3&height=0"],
        id="width-digits",
    ),
    pytest.param(
        ["path=a.png&width=1&height=12", "path=a.png&width=11&height=2"],
        id="width-height-boundary",
    ),
    pytest.param(
        ["path=a.png&width=300", "path=b.png&width=300", "path=a/a.png&width=300"],
        id="path",
    ),
    pytest.param(
        [
            "path=a.png&width=300&format=jpeg",
            "path=a.png&width=300&format=png",
            "path=a.png&width=300&format=webp",
            "path=a.png&width=300&format=avif",
            "path=a.png&width=300&format=gif",
        ],
        id="format",
    ),
    pytest.param(
        [
            "path=a.png&width=300&format=jpeg&quality=80",
            "path=a.png&width=300&format=jpeg&quality=81",
            "path=a.png&width=300&format=jpeg&quality=50",
        ],
        id="quality",
    ),
    pytest.param(
        [
            "path=a.png&width=300&format=webp",
            "path=a.png&width=300&format=webp&quality=50",
        ],
        id="webp-quality-vs-default",
    ),
    pytest.param(
        [
            "path=a.png&width=300&height=300&fit=cover",
            "path=a.png&width=300&height=300&fit=cover&gravity=north",
            "path=a.png&width=300&height=300&fit=cover&gravity=south",
            "path=a.png&width=300&height=300&fit=cover&gravity=east",
            "path=a.png&width=300&height=300&fit=cover&gravity=smart",
            "path=a.png&width=300&height=300&fit=cover&gravity=entropy",
        ],
        id="gravity-for-cover",
    ),
    pytest.param(
        [
            "path=a.png&width=300&height=300&fit=contain",
            "path=a.png&width=300&height=300&fit=contain&gravity=west",
        ],
        id="gravity-for-contain",
    ),
    pytest.param(
        [
            "path=a.png&width=300&height=300&fit=cover",
            "path=a.png&width=300&height=300&fit=contain",
            "path=a.png&width=300&height=300&fit=fill",
            "path=a.png&width=300&height=300&fit=inside",
            "path=a.png&width=300&height=300&fit=outside",
        ],
        id="fit-with-both-sides",
    ),
    pytest.param(
        [
            "path=a.png&width=300&height=300&upscale=true",
            "path=a.png&width=300&height=300&upscale=false",
        ],
        id="upscale",
    ),
    pytest.param(
        [
            "mode=flip&path=a.png&direction=h",
            "mode=flip&path=a.png&direction=v",
            "mode=flip&path=a.png&direction=both",
        ],
        id="flip-direction",
    ),
    pytest.param(
        [
            "mode=rotate&path=a.png&degree=90",
            "mode=rotate&path=a.png&degree=180",
            "mode=rotate&path=a.png&degree=0",
            "mode=rotate&path=a.png&degree=90.5",
        ],
        id="degree",
    ),
    pytest.param(
        [
            "mode=crop&path=a.png&width=30&height=20&x=0&y=0",
            "mode=crop&path=a.png&width=30&height=20&x=1&y=0",
            "mode=crop&path=a.png&width=30&height=20&x=0&y=1",
            "mode=crop&path=a.png&width=30&height=20",
            "mode=crop&path=a.png&width=30&height=20&gravity=south",
            "mode=crop&path=a.png&width=20&height=30",
        ],
        id="crop",
    ),
    pytest.param(
        [
            "mode=rotate&path=a.png&degree=30",
            "mode=rotate&path=a.png&degree=30&background=red",
            "mode=rotate&path=a.png&degree=30&background=blue",
        ],
        id="background",
    ),
    pytest.param(
        [
            "mode=rotate&path=a.png&degree=90",
            "mode=flip&path=a.png&direction=h",
            "mode=crop&path=a.png&width=300&height=300",
            "path=a.png&width=300&height=300",
        ],
        id="mode",
    ),
]


@pytest.mark.parametrize("queries", DIFFERENT)
def test_different_requests_never_share_a_key(queries: list[str]) -> None:
    keys = [key_of(query) for query in queries]
    assert len(set(keys)) == len(keys), queries


def test_source_version_is_in_the_key() -> None:
    query = "path=a.png&width=300"
    assert key_of(query, version='"etag-1"') != key_of(query, version='"etag-2"')
    assert key_of(query, version="1700000000-1234") != key_of(query, version="1700000001-1234")


def test_path_and_version_are_not_merely_concatenated() -> None:
    plan_a, plan_ab = Plan(path="a", width=300), Plan(path="a1", width=300)
    output = Output(ImageFormat.JPEG, 80)
    assert variant_key(plan_a, output, "12") != variant_key(plan_ab, output, "2")


def test_negotiated_format_is_in_the_key() -> None:
    query = "path=a.png&width=300&format=auto"
    keys = {
        key_of(query, accept="image/avif,image/webp,*/*"),
        key_of(query, accept="image/webp,*/*"),
        key_of(query, accept="*/*"),
    }
    assert len(keys) == 3


# --- properties -----------------------------------------------------------------------------

# Each entry: equivalent spellings of one parameter of one request.
SPELLINGS = [
    [("path", "photos/a.png"), ("path", "/photos/a.png")],
    [("mode", "thumbnail"), ("mode", "THUMBNAIL")],
    [("width", "300"), ("w", "300"), ("width", "0300")],
    [("height", "200"), ("h", "200"), ("h", "00200")],
    [("fit", "contain"), ("fit", "Contain")],
    [("gravity", "northeast"), ("gravity", "NorthEast")],
    [("upscale", "no"), ("upscale", "false"), ("upscale", "0"), ("upscale", "off")],
    [("background", "red"), ("background", "#ff0000"), ("background", "f00")],
    [("format", "jpg"), ("format", "jpeg")],
    [("quality", "70"), ("quality", "070")],
    [("sig", "abc")],
]
REFERENCE_KEY = key_of(
    "path=photos/a.png&mode=thumbnail&width=300&height=200&fit=contain&gravity=northeast"
    "&upscale=no&background=red&format=jpeg&quality=70"
)


@given(
    st.tuples(*(st.sampled_from(options) for options in SPELLINGS)).flatmap(
        lambda chosen: st.permutations(list(chosen))
    )
)
def test_any_order_and_spelling_gives_one_key(params: list[tuple[str, str]]) -> None:
    plan = parse(params, RULES)
    assert variant_key(plan, resolve_output(plan, JPEG, None), "etag-1") == REFERENCE_KEY


SIZES = st.tuples(st.integers(0, 8192), st.integers(0, 8192)).filter(any)


@given(
    SIZES,
    SIZES,
    st.sampled_from(["thumbnail", "resize"]),
    st.sampled_from(["cover", "contain", "fill", "inside", "outside"]),
)
def test_distinct_sizes_never_share_a_key(
    first: tuple[int, int], second: tuple[int, int], mode: str, fit: str
) -> None:
    assume(first != second)
    keys = {
        key_of(f"mode={mode}&fit={fit}&path=a.png&width={w}&height={h}") for w, h in (first, second)
    }
    assert len(keys) == 2, (first, second)


# --- resolve_output: original ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (JPEG, Output(ImageFormat.JPEG, 80)),
        (PNG, Output(ImageFormat.PNG, None)),
        (PNG_ALPHA, Output(ImageFormat.PNG, None)),
        (SourceInfo(format="webp", width=10, height=10), Output(ImageFormat.WEBP, 80)),
        (SourceInfo(format="avif", width=10, height=10), Output(ImageFormat.AVIF, 50)),
        (SourceInfo(format="gif", width=10, height=10), Output(ImageFormat.GIF, None)),
        (ANIMATED_GIF, Output(ImageFormat.GIF, None)),
        (ANIMATED_WEBP, Output(ImageFormat.WEBP, 80)),
        # Formats fitter cannot write: png with alpha, else jpeg; gif when animated.
        (SourceInfo(format="tiff", width=10, height=10), Output(ImageFormat.JPEG, 80)),
        (
            SourceInfo(format="tiff", width=10, height=10, has_alpha=True),
            Output(ImageFormat.PNG, None),
        ),
        (SourceInfo(format="heic", width=10, height=10), Output(ImageFormat.JPEG, 80)),
        (
            SourceInfo(format="heic", width=10, height=10, has_alpha=True),
            Output(ImageFormat.PNG, None),
        ),
        (
            SourceInfo(format="svg", width=10, height=10, has_alpha=True),
            Output(ImageFormat.PNG, None),
        ),
        (SourceInfo(format="svg", width=10, height=10), Output(ImageFormat.JPEG, 80)),
        (SourceInfo(format="bmp", width=10, height=10), Output(ImageFormat.JPEG, 80)),
        # Pages of a TIFF or HEIC file are not an animation: they become a still image.
        (
            SourceInfo(format="heic", width=10, height=10, frames=4),
            Output(ImageFormat.JPEG, 80),
        ),
        (
            SourceInfo(format="tiff", width=10, height=10, frames=2, has_alpha=True),
            Output(ImageFormat.PNG, None),
        ),
    ],
)
def test_original_format(info: SourceInfo, expected: Output) -> None:
    plan = plan_of("path=a&width=10")
    assert resolve_output(plan, info, None) == expected
    # The Accept header plays no part unless the format is `auto`.
    assert resolve_output(plan, info, "image/avif,image/webp") == expected


@pytest.mark.parametrize(
    ("query", "info", "expected"),
    [
        ("format=jpeg&quality=90", PNG, Output(ImageFormat.JPEG, 90)),
        ("format=webp&quality=5", JPEG, Output(ImageFormat.WEBP, 5)),
        ("format=avif", JPEG, Output(ImageFormat.AVIF, 50)),
        ("format=png&quality=90", JPEG, Output(ImageFormat.PNG, None)),
        ("format=gif&quality=90", JPEG, Output(ImageFormat.GIF, None)),
        ("quality=90", JPEG, Output(ImageFormat.JPEG, 90)),
        ("quality=90", PNG, Output(ImageFormat.PNG, None)),
        ("quality=90", SourceInfo(format="tiff", width=1, height=1), Output(ImageFormat.JPEG, 90)),
    ],
)
def test_explicit_format_and_quality(query: str, info: SourceInfo, expected: Output) -> None:
    assert resolve_output(plan_of(f"path=a&width=10&{query}"), info, None) == expected


# --- resolve_output: auto -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "info", "expected"),
    [
        ("image/avif,image/webp,*/*", JPEG, Output(ImageFormat.AVIF, 50)),
        ("image/webp,image/avif", JPEG, Output(ImageFormat.AVIF, 50)),
        ("image/webp,*/*", JPEG, Output(ImageFormat.WEBP, 80)),
        ("image/avif;q=0.5,image/webp;q=0.9", JPEG, Output(ImageFormat.WEBP, 80)),
        ("image/avif;q=0.9,image/webp;q=0.5", JPEG, Output(ImageFormat.AVIF, 50)),
        ("image/avif;q=0,image/webp", JPEG, Output(ImageFormat.WEBP, 80)),
        ("image/avif;q=0,image/webp;q=0,*/*", JPEG, Output(ImageFormat.JPEG, 80)),
        ("image/avif ; q=0.8 , image/webp ; q=0.9", JPEG, Output(ImageFormat.WEBP, 80)),
        ("Image/AVIF", JPEG, Output(ImageFormat.AVIF, 50)),
        ("*/*", JPEG, Output(ImageFormat.JPEG, 80)),
        ("*/*", PNG, Output(ImageFormat.JPEG, 80)),
        ("*/*", PNG_ALPHA, Output(ImageFormat.PNG, None)),
        ("*/*", ANIMATED_GIF, Output(ImageFormat.GIF, None)),
        ("image/*", JPEG, Output(ImageFormat.JPEG, 80)),
        ("", JPEG, Output(ImageFormat.JPEG, 80)),
        (None, PNG_ALPHA, Output(ImageFormat.PNG, None)),
        ("image/png,image/jpeg", JPEG, Output(ImageFormat.JPEG, 80)),
        # Animated images never get avif.
        ("image/avif,image/webp,*/*", ANIMATED_GIF, Output(ImageFormat.WEBP, 80)),
        ("image/avif,*/*", ANIMATED_GIF, Output(ImageFormat.GIF, None)),
        ("image/avif", ANIMATED_WEBP, Output(ImageFormat.GIF, None)),
        ("image/avif;q=1,image/webp;q=0.1", ANIMATED_WEBP, Output(ImageFormat.WEBP, 80)),
    ],
)
def test_auto(accept: str | None, info: SourceInfo, expected: Output) -> None:
    assert resolve_output(plan_of("path=a&width=10&format=auto"), info, accept) == expected


def test_auto_keeps_an_explicit_quality() -> None:
    plan = plan_of("path=a&width=10&format=auto&quality=33")
    assert resolve_output(plan, JPEG, "image/avif") == Output(ImageFormat.AVIF, 33)
    assert resolve_output(plan, JPEG, "image/webp") == Output(ImageFormat.WEBP, 33)
    assert resolve_output(plan, PNG_ALPHA, "*/*") == Output(ImageFormat.PNG, None)


@pytest.mark.parametrize(
    ("accept", "info", "expected"),
    [
        ("image/avif,image/webp", JPEG, ImageFormat.AVIF),
        ("image/webp", JPEG, ImageFormat.WEBP),
        ("*/*", JPEG, ImageFormat.JPEG),
        ("*/*", PNG_ALPHA, ImageFormat.PNG),
        ("*/*", ANIMATED_WEBP, ImageFormat.GIF),
        ("image/avif", ANIMATED_GIF, ImageFormat.GIF),
        ("image/avif,image/webp", ANIMATED_GIF, ImageFormat.WEBP),
        ("image/webp;q=abc", JPEG, ImageFormat.JPEG),
    ],
)
def test_negotiate(accept: str, info: SourceInfo, expected: ImageFormat) -> None:
    assert negotiate(accept, info) is expected


def test_quality_defaults() -> None:
    plan = plan_of("path=a&width=10")
    for fmt, quality in [("jpeg", 80), ("webp", 80), ("avif", 50), ("png", None), ("gif", None)]:
        assert resolve_output(plan, SourceInfo(format=fmt, width=1, height=1), None).quality == (
            quality
        )
