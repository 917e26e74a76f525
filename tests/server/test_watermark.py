"""A watermark is another source: part of the variant's key, and under the same limits.

Through the application (in process) and thumbor's `watermark` filter, the one filter that
reads a second source.
"""

from __future__ import annotations

import os
import uuid

import pyvips

from support import images as synth

WHITE_MARK = (pyvips.Image.black(40, 20, bands=3) + 255).cast("uchar")
BLACK_MARK = pyvips.Image.black(40, 20, bands=3).cast("uchar")


def url(mark: str) -> str:
    return f"/unsafe/filters:watermark({mark},0,0,0):format(png)/gradient.png"


def test_a_new_watermark_makes_a_new_variant(make_app):
    app = make_app(thumbor={"allow_unsafe": True}, options={"source_ttl": 0})
    mark = f"mark-{uuid.uuid4().hex[:8]}.png"
    WHITE_MARK.pngsave(str(app.root / mark))
    written = (app.root / mark).stat().st_mtime_ns
    with app.client() as http:
        first = http.get(url(mark))
        assert first.status_code == 200, first.text
        assert synth.load(first.content).getpoint(5, 5)[:3] == [255, 255, 255]
        assert http.get(url(mark)).headers["x-fitter-cache"] == "cache"
        BLACK_MARK.pngsave(str(app.root / mark))
        # Another modification time, whatever the file system's resolution.
        os.utime(app.root / mark, ns=(written + 10**9, written + 10**9))
        second = http.get(url(mark))
        assert second.status_code == 200, second.text
        assert second.headers["x-fitter-cache"] == "miss"
        assert second.headers["etag"] != first.headers["etag"]
        assert synth.load(second.content).getpoint(5, 5)[:3] == [0, 0, 0]


def test_a_watermark_is_held_to_the_source_limits(make_app):
    app = make_app(thumbor={"allow_unsafe": True}, limits={"max_source_pixels": 100_000})
    mark = f"huge-{uuid.uuid4().hex[:8]}.png"
    pyvips.Image.black(400, 400).pngsave(str(app.root / mark))
    missing = f"missing-{uuid.uuid4().hex[:8]}.png"
    with app.client() as http:
        assert http.get(url("a.png")).status_code == 200
        over = http.get(url(mark))
        assert over.status_code == 422, over.text
        assert "160000 pixels" in over.json()["errors"][0]["message"]
        gone = http.get(url(missing))
        assert gone.status_code == 404, gone.text


def test_an_svg_watermark_is_rendered_from_memory(make_app):
    """With SVG sources on, an SVG mark still cannot draw the files beside it: librsvg
    resolves relative references only for a file it opens itself."""
    app = make_app(thumbor={"allow_unsafe": True}, limits={"svg": True})
    name = uuid.uuid4().hex[:8]
    red = pyvips.Image.black(40, 40, bands=3).new_from_image([255, 0, 0]).cast("uchar")
    red.pngsave(str(app.root / f"secret-{name}.png"))
    (app.root / f"mark-{name}.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' width="40" height="40"><image xlink:href="secret-{name}.png" width="40" height="40"/>'
        "</svg>"
    )
    with app.client() as http:
        answer = http.get(url(f"mark-{name}.svg"))
        plain = http.get("/unsafe/filters:format(png)/gradient.png")
    assert answer.status_code == 200, answer.text
    marked, original = synth.load(answer.content), synth.load(plain.content)
    assert marked.getpoint(20, 20)[:3] == original.getpoint(20, 20)[:3]
