"""Regressions found by review: each test is a way the server was once wrong.

Answered by the application in process (`inprocess.py`); none needs a real server.
"""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support import images as synth


@pytest.fixture
def single_folder(make_app, images, tmp_path):
    """The seed's first example: one folder is both source and store.

    A folder of its own, so that the variants written into it are in no other test's
    source: an original, a photograph, a link leaving the folder and one staying inside."""
    folder = tmp_path / "single"
    (folder / "photos").mkdir(parents=True)
    shutil.copy(images / "a.png", folder / "a.png")
    shutil.copy(images / "photos" / "Autumn.jpg", folder / "photos" / "Autumn.jpg")
    (folder / "escape.png").symlink_to((images / "escape.png").resolve())
    (folder / "inside-link.png").symlink_to(folder / "a.png")
    return make_app(storage={"store": {"type": "fs", "location": str(folder)}})


def test_store_route_serves_variants_only_never_originals_or_links(single_folder):
    with single_folder.http() as http:
        for name in ("a.png", "photos/Autumn.jpg", "escape.png", "inside-link.png"):
            assert http.get(f"/store/{name}").status_code == 404, name
        body = http.get("/get", params={"path": "a.png", "width": "10"}).json()
        assert http.get(f"/store/{body['path']}").status_code == 200


def test_smart_gravity_on_a_corrupt_source_is_415_not_500(http, images):
    data = (images / "photos" / "Kite.jpg").read_bytes()
    (images / "cut-kite.jpg").write_bytes(data[: len(data) // 2])
    for query in (
        {"mode": "crop", "width": "10", "height": "10", "gravity": "smart"},
        {"width": "10", "height": "20", "gravity": "smart"},
        {"width": "10", "height": "20", "gravity": "entropy", "format": "png"},
    ):
        answer = http.get("/image", params={"path": "cut-kite.jpg", **query})
        assert answer.status_code == 415, query
        assert answer.json()["errors"][0]["param"] == "path"


def test_show_refuses_at_once_what_the_header_shows_is_wrong(make_app):
    with make_app(limits={"max_width": 500, "max_height": 500}).http() as http:
        derived = http.get("/show", params={"path": "photos/Autumn.jpg", "height": "400"})
        assert derived.status_code == 400
        assert derived.json()["errors"][0]["param"] == "width"
        outside = http.get(
            "/show",
            params={
                "path": "a.png",
                "mode": "crop",
                "x": "64",
                "y": "0",
                "width": "5",
                "height": "5",
            },
        )
        assert outside.status_code == 400
        turned = http.get(
            "/image", params={"path": "photos/Autumn.jpg", "mode": "rotate", "degree": "45"}
        )
        assert turned.status_code == 400
        flipped = http.get(
            "/image", params={"path": "photos/Autumn.jpg", "mode": "flip", "direction": "h"}
        )
        assert flipped.status_code == 400
        assert {e["param"] for e in flipped.json()["errors"]} == {"width", "height"}
        small = http.get("/image", params={"path": "a.png", "mode": "rotate", "degree": "45"})
        assert small.status_code == 200


@pytest.mark.parametrize("endpoint", ["/get", "/redirect", "/show", "/image"])
def test_negotiated_answers_vary_on_accept(http, endpoint):
    query = {"path": "gradient.jpg", "width": "30", "format": "auto"}
    answer = http.get(endpoint, params=query, headers={"Accept": "image/webp"})
    assert answer.headers["vary"] == "Accept"
    fixed = http.get(endpoint, params={**query, "format": "png"})
    assert "vary" not in fixed.headers


def test_head_requests_are_answered(http):
    answer = http.head("/image", params={"path": "a.png", "width": "12"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    assert http.head("/health").status_code == 200


def test_an_unknown_mode_is_one_problem(http):
    answer = http.get("/image", params={"path": "a.png", "mode": "bogus"})
    assert [e["param"] for e in answer.json()["errors"]] == ["mode"]


@pytest.mark.parametrize("degree", ["1_0", "٣٠", " 30", "nan", "inf", "1e3"])
def test_degree_is_a_plain_decimal(http, degree):
    answer = http.get("/image", params={"path": "a.png", "mode": "rotate", "degree": degree})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["param"] == "degree"


def test_allowed_sizes_and_formats_are_enforced(make_app):
    app = make_app(options={"allowed_sizes": ["32x24", "16x0"], "allowed_formats": ["jpg", "webp"]})
    with app.http() as http:
        ok = http.get(
            "/image", params={"path": "a.png", "width": "32", "height": "24", "format": "jpg"}
        )
        assert ok.status_code == 200
        assert http.get("/image", params={"path": "a.png", "w": "16", "format": "webp"}).is_success
        size = http.get(
            "/image", params={"path": "a.png", "width": "33", "height": "24", "format": "jpeg"}
        )
        assert size.status_code == 400
        assert "16x0, 32x24" in size.json()["errors"][0]["message"]
        fmt = http.get(
            "/image", params={"path": "a.png", "width": "32", "height": "24", "format": "png"}
        )
        assert [e["param"] for e in fmt.json()["errors"]] == ["format"]
        # The default format (original) is not in the list either: it must be asked for.
        assert http.get("/image", params={"path": "a.png", "w": "16"}).status_code == 400


def test_a_corrupt_stored_variant_is_made_again(make_app):
    app = make_app()
    with app.http() as http:
        query = {"path": "a.png", "width": "24"}
        body = http.get("/get", params=query).json()
        stored = app.store / body["path"]
        first = stored.read_bytes()
    app.close()
    stored.write_bytes(first[:10])
    # A new application: no memory cache, only the store and its cut object.
    again = make_app(
        storage={
            "source": {"type": "fs", "location": str(app.root)},
            "store": {"type": "fs", "location": str(app.store)},
        }
    )
    with again.http() as http:
        answer = http.get("/image", params=query)
        assert answer.status_code == 200
        assert answer.headers["x-fitter-cache"] == "miss"
        assert synth.load(answer.content).width == 24
    assert stored.read_bytes() == first


def test_equivalent_urls_share_one_variant(make_app, images):
    data = (images / "a.png").read_bytes()

    # A real origin on loopback: the application fetches its http sources over the network.
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    origin = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    port = origin.server_address[1]
    try:
        app = make_app(
            sources={
                "http": {"allow": [f"http://127.0.0.1:{port}/"], "allow_ranges": ["127.0.0.0/8"]}
            }
        )
        with app.http() as http:
            etags = {
                http.get("/image", params={"path": url, "width": "10"}).headers["etag"]
                for url in (
                    f"http://127.0.0.1:{port}/a.png",
                    f"HTTP://127.0.0.1:{port}/a.png",
                    f"http://127.0.0.1:{port}/x/../a.png#frag",
                )
            }
            assert len(etags) == 1
    finally:
        origin.shutdown()


def test_a_path_outside_the_root_through_the_store_prefix_is_refused():
    from fitter.config import ConfigError, build_config

    with pytest.raises(ConfigError) as caught:
        build_config(
            {
                "storage": {"store": {"type": "fs", "location": "v"}},
                "options": {"prefix": "../../escape", "default_format": "tiff"},
            },
            {},
        )
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "options.prefix",
        "options.default_format",
    ]


def test_a_cache_entry_whose_object_is_gone_is_repaired(make_app):
    app = make_app()
    with app.http() as http:
        query = {"path": "a.png", "width": "26"}
        body = http.get("/get", params=query).json()
        (app.store / body["path"]).unlink()
        again = http.get("/get", params=query)
        assert again.headers["x-fitter-cache"] == "miss"
        assert http.get(again.json()["url"]).status_code == 200


def test_processing_past_its_timeout_is_504(make_app):
    with make_app(limits={"timeouts": {"processing": 0.001}}).http() as http:
        answer = http.get(
            "/image", params={"path": "photos/Flow-5120x2880.jpg", "width": "4000", "format": "png"}
        )
        assert answer.status_code == 504
        assert "processing" in answer.json()["errors"][0]["message"]
        assert http.get("/health").status_code == 200


def test_a_full_image_pool_answers_503_with_retry_after(make_app):
    # One slot, a queue of 50 ms, six large images at once: the first holds the slot far
    # longer than 50 ms (decoding a 5120x2880 JPEG, encoding a PNG); the others give up.
    app = make_app(limits={"concurrency": 1, "timeouts": {"queue": 0.05}})
    flow = {"path": "photos/Flow-5120x2880.jpg", "format": "png"}
    answers = app.gather(
        [("GET", "/image", {"params": flow | {"width": str(2000 + i)}}) for i in range(6)]
    )
    statuses = sorted(a.status_code for a in answers)
    assert 200 in statuses, statuses
    assert 503 in statuses, statuses
    busy = next(a for a in answers if a.status_code == 503)
    assert int(busy.headers["retry-after"]) > 0
    assert busy.json()["errors"][0]["message"]
