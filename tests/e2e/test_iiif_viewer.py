"""An IIIF viewer browses an image from fitter: OpenSeadragon in Debian's Chromium.

The page is not served by fitter (it is `about:blank`), so info.json and every tile cross
origins: the viewer works only with fitter's CORS headers. Tiles are fetched with CORS too
(`crossOriginPolicy`), so the canvas can be read back and the pixels the viewer drew
checked against the picture: four coloured quarters.
"""

from __future__ import annotations

import re
import uuid

import pytest
import pyvips

from support.servers import ROOT

VIEWER = (
    ROOT / ".testdata/viewer/node_modules/openseadragon/build/openseadragon/openseadragon.min.js"
)
SIZE = (3000, 2000)
QUARTERS = {"red": (255, 0, 0), "green": (0, 200, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0)}
# Where each quarter's centre is in OpenSeadragon's viewport units (the width is 1).
CENTRES = {
    "red": (0.25, 1 / 6),
    "green": (0.75, 1 / 6),
    "blue": (0.25, 0.5),
    "yellow": (0.75, 0.5),
}
TILE = re.compile(r"/iiif/[23]/[^/]+/(\d+,\d+,\d+,\d+)/([^/]+)/0/default\.jpg$")


def quarters() -> pyvips.Image:
    half_w, half_h = SIZE[0] // 2, SIZE[1] // 2
    red, green, blue, yellow = (
        (pyvips.Image.black(half_w, half_h, bands=3) + list(QUARTERS[name])).cast("uchar")
        for name in ("red", "green", "blue", "yellow")
    )
    top = red.join(green, "horizontal")
    return top.join(blue.join(yellow, "horizontal"), "vertical").copy(interpretation="srgb")


@pytest.fixture
def picture(server) -> str:
    if not VIEWER.is_file():
        pytest.fail("OpenSeadragon is missing: run `make testdata` (make test does)")
    name = f"viewer-{uuid.uuid4().hex[:8]}.jpg"
    quarters().jpegsave(str(server.root / name), Q=90)
    return name


def centre_colour(page) -> list[int]:
    return page.evaluate(
        """() => {
            const canvas = window.viewer.drawer.canvas;
            const context = canvas.getContext('2d');
            const [x, y] = [Math.floor(canvas.width / 2), Math.floor(canvas.height / 2)];
            return Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3));
        }"""
    )


def settled(page) -> None:
    """Drawn, and every tile the view needs loaded (two frames first: a move is drawn on
    the next animation frame, and until then the old view still counts as loaded)."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_function(
        "() => window.viewer && window.viewer.world.getItemCount() === 1"
        " && window.viewer.world.getItemAt(0).getFullyLoaded()"
    )


@pytest.mark.parametrize("version", ["3", "2"])
def test_openseadragon_browses_an_image(server, browser, picture, version):
    context = browser.new_context(viewport={"width": 800, "height": 600})
    page = context.new_page()
    page.set_default_timeout(30_000)
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.url, r.status)) if "/iiif/" in r.url else None)
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.set_content("<div id='viewer' style='width:800px;height:600px'></div>")
    page.add_script_tag(content=VIEWER.read_text())
    info = f"{server.url}/iiif/{version}/{picture}/info.json"
    page.evaluate(
        """info => {
            window.failed = [];
            window.viewer = OpenSeadragon({
                id: 'viewer', tileSources: info, crossOriginPolicy: 'Anonymous',
                drawer: 'canvas', animationTime: 0, immediateRender: true,
                showNavigationControl: false,
            });
            window.viewer.addHandler('open-failed', e => window.failed.push(e.message));
            window.viewer.addHandler('tile-load-failed', e => window.failed.push(e.message));
        }""",
        info,
    )
    settled(page)

    # Fitted in the viewport, the whole picture is drawn: each quarter where it belongs.
    drawn = page.evaluate(
        """() => {
            const item = window.viewer.world.getItemAt(0);
            const canvas = window.viewer.drawer.canvas;
            const context = canvas.getContext('2d');
            return [[0.25, 1/6], [0.75, 1/6], [0.25, 0.5], [0.75, 0.5]].map(([x, y]) => {
                const point = window.viewer.viewport.pixelFromPoint(
                    new OpenSeadragon.Point(x, y), true);
                const ratio = canvas.width / window.viewer.container.clientWidth;
                return Array.from(context.getImageData(
                    Math.round(point.x * ratio), Math.round(point.y * ratio), 1, 1
                ).data.slice(0, 3));
            });
        }"""
    )
    for colour, expected in zip(drawn, QUARTERS.values(), strict=True):
        assert colour == pytest.approx(list(expected), abs=40), (drawn, answers)

    # Zoomed into each quarter, the viewer asks for tiles of regions at a finer scale.
    for name, (x, y) in CENTRES.items():
        page.evaluate(
            "([x, y]) => { const v = window.viewer.viewport;"
            " v.zoomTo(8, null, true); v.panTo(new OpenSeadragon.Point(x, y), true); }",
            [x, y],
        )
        settled(page)
        assert centre_colour(page) == pytest.approx(list(QUARTERS[name]), abs=40), name

    assert page.evaluate("window.failed") == []
    assert failures == []
    assert answers and all(status == 200 for _, status in answers), answers
    assert answers[0][0] == info
    tiles = [TILE.search(url) for url, _ in answers]
    regions = {m.group(1) for m in tiles if m}
    # Fitted: the low-resolution levels; zoomed: regions smaller than the picture.
    assert len(regions) >= 8, answers
    assert any(int(r.split(",")[2]) < SIZE[0] // 2 for r in regions), regions
    context.close()
