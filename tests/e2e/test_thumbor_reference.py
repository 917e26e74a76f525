"""fitter's thumbor dialect against thumbor 7.8's recorded answers, end to end.

Every URL of tests/thumbor/expected.json (recorded by tests/thumbor/record.py from a real
thumbor on the same sources and key) is sent, byte for byte, to a real `fitter serve`.
The answer must have thumbor's status, and for images thumbor's format and size; where
only the geometry changes the pixels, the five probe pixels must match too (within a
tolerance: JPEG, and Pillow's and libvips' resampling differ), which checks where crops
were taken. `DIFFERENT` lists where fitter deliberately answers otherwise, and why; each
entry is in docs/thumbor.md.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pyvips

from support.servers import ROOT, Server, fs_config, start_server, stop_server

FIXTURE = ROOT / "tests" / "thumbor"
# tests/thumbor/record.py is a script, not a package: loaded by its path.
_spec = importlib.util.spec_from_file_location("thumbor_record", FIXTURE / "record.py")
assert _spec and _spec.loader
record = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = record  # its dataclasses look their module up by name
_spec.loader.exec_module(record)
RECORDED = json.loads((FIXTURE / "expected.json").read_text())
KEY = RECORDED["security_key"]
PROBE_TOLERANCE = 24


@dataclass(frozen=True)
class Answer:
    """What fitter answers instead of thumbor: a status, and the size for a 200."""

    status: int
    size: tuple[int, int] | None = None
    why: str = ""


EMPTY_CROP = "an empty crop is 400 on crop (thumbor ignores it)"
OUTSIDE_CROP = "a crop outside the image is 400 on region (thumbor ignores it)"
BAD_FILTER = "a malformed or unknown filter is 400 on filters (thumbor drops it)"
DIFFERENT: dict[str, Answer] = {
    # URLs that are not thumbor URLs at all, and signatures.
    "/200x200/landscape.jpg": Answer(404, why="not a thumbor URL: fitter's unknown path"),
    "/landscape.jpg": Answer(404, why="not a thumbor URL: fitter's unknown path"),
    "/8KUurbUEx0_Ucfn-eMjBjCPUU9k=/200x150/landscape.jpg": Answer(403, why="bad signature"),
    "/AAAAAAAAAAAAAAAAAAAAAAAAAAA=/200x150/landscape.jpg": Answer(403, why="bad signature"),
    "/Ztu3ipWeu-KBWBQAj-0BNO836tw=/200x151/landscape.jpg": Answer(403, why="bad signature"),
    # Paths.
    "/unsafe/%2e%2e/bench/thumbor.conf": Answer(400, why="'..' is 400 on path"),
    "/unsafe/../bench/thumbor.conf": Answer(400, why="'..' is 400 on path"),
    "/unsafe/not-an-image.jpg": Answer(415, why="not an image is 415"),
    "/unsafe/filters:watermark(missing.png,10,10,0)/landscape.jpg": Answer(
        404, why="a missing watermark is 404 on its path"
    ),
    # Empty crops, and crops outside the image.
    "/unsafe/100x100:100x200/landscape.jpg": Answer(400, why=EMPTY_CROP),
    "/unsafe/100x100:50x50/landscape.jpg": Answer(400, why=EMPTY_CROP),
    "/unsafe/500x500:600x600/landscape.jpg": Answer(400, why=OUTSIDE_CROP),
    "/unsafe/debug/100x100/landscape.jpg": Answer(400, why="debug/ is not supported"),
    # thumbor's 500s.
    "/unsafe/origx0/landscape.jpg": Answer(200, (400, 300), "orig x derived: the source"),
    "/unsafe/fit-in/origx400/filters:fill(blue)/landscape.jpg": Answer(
        200, (400, 400), "orig is the source's width"
    ),
    "/unsafe/filters:background_color(zzz)/portrait.png": Answer(400, why=BAD_FILTER),
    "/unsafe/fit-in/300x300/filters:fill(notacolour)/landscape.jpg": Answer(400, why=BAD_FILTER),
    # Filters thumbor drops silently.
    "/unsafe/filters:format(bmp)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:format(heic)/landscape.jpg": Answer(400, why="fitter cannot write HEIC"),
    "/unsafe/filters:format()/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:max_age(abc)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:proportion(-0.5)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:proportion(0)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:proportion(1.5)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:quality(0)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:quality(150)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:quality(30)grayscale()/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:quality(abc)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:rotate(45)/landscape.jpg": Answer(400, why="rotate takes multiples of 90"),
    "/unsafe/filters:rotate(abc)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:unknown()/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/filters:unknown():grayscale()/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/200x150/filters:blur(0)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/200x150/filters:brightness(abc)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/200x150/filters:colorize(10,20,30,ff0000)/landscape.jpg": Answer(
        400, why="colorize is not available"
    ),
    "/unsafe/200x150/filters:sharpen(1)/landscape.jpg": Answer(400, why=BAD_FILTER),
    "/unsafe/200x150/filters:watermark(watermark.png,10.5,10,0)/landscape.jpg": Answer(
        400, why=BAD_FILTER
    ),
    "/unsafe/200x150/filters:watermark(watermark.png,center,center)/landscape.jpg": Answer(
        400, why=BAD_FILTER
    ),
    "/unsafe/100x200/filters:focal(280x70:280x110)/landscape.jpg": Answer(
        400, why="an empty focal box is 400"
    ),
    "/unsafe/100x200/filters:focal(300x90)/landscape.jpg": Answer(
        400, why="focal takes a box, not a point"
    ),
    "/unsafe/fit-in/300x300/filters:fill(%23ff0000)/landscape.jpg": Answer(
        200, (300, 300), "#ff0000 is a colour (thumbor drops the filter)"
    ),
    # trim:<n> is a tolerance in fitter; thumbor reads it as a corner and trims nothing.
    "/unsafe/trim:50/framed.png": Answer(200, (120, 80), "trim:50 is a tolerance of 50"),
}
# Answers that are images but whose pixels are not only geometry: no probe comparison.
PIXEL_FILTERS = re.compile(
    r"filters:.*(brightness|contrast|saturation|rgb|blur|sharpen|noise|equalize|grayscale|"
    r"round_corner|watermark|convolution|fill|background_color|colorize|quality\(|format)"
)


def cases() -> list[dict[str, Any]]:
    """One case per URL: fitter always applies EXIF orientation, so where thumbor was
    recorded both ways the respect_orientation answer is fitter's."""
    recorded = RECORDED["cases"]
    upright = {c["url"] for c in recorded if c["config"] == "respect_orientation"}
    return [c for c in recorded if c["config"] != "default" or c["url"] not in upright]


CASES = cases()


@pytest.fixture(scope="module")
def thumbor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("thumbor")
    config = fs_config(
        FIXTURE / "sources",
        work / "store",
        thumbor={"security_key": KEY, "allow_unsafe": True},
    )
    running = start_server(config, work)
    yield running
    stop_server(running.process)


def fetch(server: Server, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET `path` exactly as written (no client normalises `..` or re-encodes it)."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


def expected_answer(case: dict[str, Any]) -> Answer:
    if case["url"] in DIFFERENT:
        return DIFFERENT[case["url"]]
    size = (case["width"], case["height"]) if case.get("width") else None
    return Answer(case["status"], size)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["url"][:90]) for c in CASES])
def test_same_answer_as_thumbor(thumbor_server: Server, case: dict[str, Any]) -> None:
    expected = expected_answer(case)
    status, headers, body = fetch(thumbor_server, case["url"])
    assert status == expected.status, body[:300]
    if status != 200:
        assert headers["content-type"] == "application/json"
        assert json.loads(body)["errors"]
        return
    if "/meta/" in case["url"]:
        described = json.loads(body)["thumbor"]
        assert described["target"]["width"] > 0
        return
    image = pyvips.Image.new_from_buffer(body, "")
    assert (image.width, image.height) == expected.size
    if case["url"] in DIFFERENT:
        return
    assert headers["content-type"] == case["content_type"]
    if not PIXEL_FILTERS.search(case["url"]) and "smart" not in case["url"]:
        assert_probes(image, case["probe"])


def assert_probes(image: pyvips.Image, expected: dict[str, list[int]]) -> None:
    """thumbor's five probe pixels, where the crop put them (read as the recorder read them)."""
    for name, got in record.probe(image).items():
        want = expected[name]
        bands = min(len(got), len(want), 3)
        far = [abs(a - b) for a, b in zip(got[:bands], want[:bands], strict=True)]
        assert max(far) <= PROBE_TOLERANCE, f"{name}: fitter {got}, thumbor {want}"


def test_every_difference_is_recorded() -> None:
    """An entry for a URL that is no longer recorded would hide nothing: keep the table true."""
    urls = {c["url"] for c in CASES}
    assert set(DIFFERENT) <= urls, set(DIFFERENT) - urls


def test_sources_are_the_recorded_ones() -> None:
    for name, facts in RECORDED["sources"].items():
        data = (FIXTURE / "sources" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == facts["sha256"], name
