"""The native HTTP API: answers, cache layers, errors and safety.

The HTTP semantics are checked in process (`app`, `http`, `make_app`: see `inprocess.py`);
only `fitter serve` itself, with no configuration file, is run as a real process.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
import pyvips

from support import images as synth

# How long a test waits for something the application does in the background.
PATIENCE = 30.0


def storage_of(app) -> dict:
    """The storage section of `app`: another application over the same folders."""
    return {
        "source": {"type": "fs", "location": str(app.root)},
        "store": {"type": "fs", "location": str(app.store)},
    }


def test_x_fitter_cache_says_miss_then_cache_then_store_after_a_restart(make_app):
    first = make_app()
    query = {"path": "a.png", "width": "32"}
    with first.http() as http:
        assert http.get("/image", params=query).headers["x-fitter-cache"] == "miss"
        assert http.get("/image", params=query).headers["x-fitter-cache"] == "cache"
        assert http.get("/get", params=query).headers["x-fitter-cache"] == "cache"
    first.close()
    # A new application has an empty memory cache but the same store: the store answers once.
    second = make_app(storage=storage_of(first))
    with second.http() as http:
        answer = http.get("/image", params=query)
        assert answer.headers["x-fitter-cache"] == "store"
        assert synth.load(answer.content).width == 32
        assert http.get("/image", params=query).headers["x-fitter-cache"] == "cache"
    assert second.engine_runs() == 0


def test_get_describes_the_stored_variant_and_its_url_serves_it(http, app):
    query = {
        "mode": "resize",
        "path": "/wallpaper/lion.png",
        "format": "jpg",
        "width": "300",
        "height": "400",
    }
    answer = http.get("/get", params=query)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"filename", "path", "url", "width", "height", "format", "bytes"}
    assert (body["width"], body["height"], body["format"]) == (300, 400, "jpeg")
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", body["filename"])
    assert body["path"] == body["filename"]
    # fitter's own /store/ address, on the host the request was sent to.
    assert body["url"] == f"{app.url}/store/{body['path']}"
    stored = http.get(body["url"])
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "image/jpeg"
    assert len(stored.content) == body["bytes"]
    assert (app.store / body["path"]).read_bytes() == stored.content


def test_image_and_get_name_the_same_variant(http):
    query = {"path": "a.png", "width": "20", "format": "webp"}
    body = http.get("/get", params=query).json()
    image = http.get("/image", params=query)
    assert image.headers["etag"] == f'"{body["filename"].split(".")[0]}"'
    assert len(image.content) == body["bytes"]


def test_prefix_shard_and_base_url_shape_the_store(make_app):
    app = make_app(options={"prefix": "variants", "shard": 2})
    with app.http() as http:
        body = http.get("/get", params={"path": "a.png", "width": "10"}).json()
        key = body["filename"].split(".")[0]
        assert body["path"] == f"variants/{key[:2]}/{key[2:4]}/{key}.png"
        assert (app.store / body["path"]).is_file()
        assert http.get(f"/store/{body['path']}").content == (app.store / body["path"]).read_bytes()
    storage = storage_of(app)
    storage["store"]["base_url"] = "https://img.example.com/v/"
    public = make_app(storage=storage)
    with public.http() as http:
        body = http.get("/get", params={"path": "a.png", "width": "10"}).json()
        assert body["url"] == "https://img.example.com/v/" + body["path"]


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ({"mode": "rotate", "path": "a.png", "degree": "90"}, (48, 64)),
        ({"mode": "flip", "direction": "h", "path": "a.png"}, (64, 48)),
    ],
)
def test_redirect_points_at_the_stored_variant(http, query, size):
    answer = http.get("/redirect", params=query)
    assert answer.status_code == 302
    assert answer.headers["x-fitter-cache"] in ("miss", "cache")
    image = synth.load(http.get(answer.headers["location"]).content)
    assert (image.width, image.height) == size


def test_show_queues_then_answers_ready(make_app):
    query = {"mode": "thumbnail", "path": "/image/profile.png", "width": "600", "height": "0"}
    # An application of its own: the variant is surely not made yet, so the first is 202.
    with make_app().http() as http:
        first = http.get("/show", params=query)
        assert first.status_code == 202
        pending = first.json()
        assert pending["status"] == "pending"
        assert set(pending) == {"filename", "path", "url", "status"}
        ready = poll_show(http, query)
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"
        assert (body["width"], body["height"]) == (600, 600)
        assert body["path"] == pending["path"]
        assert synth.load(http.get(body["url"]).content).width == 600


def poll_show(http: httpx.Client, query: dict) -> httpx.Response:
    """/show until it is no longer 202 (the background generation ended), for PATIENCE s."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        answer = http.get("/show", params=query)
        if answer.status_code != 202:
            return answer
        time.sleep(0.02)
    raise AssertionError("the variant was never generated")


@pytest.fixture(scope="module")
def broken_png(images: Path) -> str:
    """A photograph cut in half: its header is fine, it fails only in decoding."""
    data = (images / "photos" / "Autumn.jpg").read_bytes()
    (images / "truncated.jpg").write_bytes(data[: len(data) // 2])
    return "truncated.jpg"


def test_show_reports_a_failed_background_generation_then_tries_again(make_app, broken_png):
    # An application of its own: the failure it remembers is seen by this test only.
    with make_app().http() as http:
        query = {"path": broken_png, "width": "50", "format": "png"}
        assert http.get("/info", params={"path": broken_png}).status_code == 200
        assert http.get("/show", params=query).status_code == 202
        failed = poll_show(http, query)
        assert failed.status_code == 415
        assert failed.json()["errors"][0]["param"] == "path"
        assert http.get("/show", params=query).status_code == 202
        # The second try fails alike (and leaves no work running behind the test).
        assert poll_show(http, query).status_code == 415


def test_etag_and_if_none_match(http):
    query = {"path": "a.png", "width": "16"}
    first = http.get("/image", params=query)
    assert first.headers["etag"].startswith('"')
    assert first.headers["cache-control"] == "public, max-age=86400"
    again = http.get("/image", params=query, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    other = http.get("/image", params=query, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_concurrent_requests_for_one_missing_variant_generate_it_once(make_app):
    app = make_app()
    query = {"path": "photos/Autumn.jpg", "width": "333", "format": "png"}
    answers = app.gather([("GET", "/image", {"params": query})] * 8)
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert {a.headers["x-fitter-cache"] for a in answers} == {"miss"}
    assert app.engine_runs() == 1


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("../etc/passwd", 400),
        ("a/../../etc/passwd", 400),
        ("..%2f..%2fetc%2fpasswd", 400),
        ("a\\..\\b.png", 400),
        ("a.png\x00.jpg", 400),
        ("/etc/passwd", 404),
        ("escape.png", 404),
        ("photos", 404),
        ("missing.png", 404),
        ("inside-link.png", 200),
    ],
)
def test_paths_never_leave_the_source_root(http, images, path, status):
    if "%" in path:  # sent as written, not encoded again
        answer = http.get(f"/image?width=10&path={path}")
    else:
        answer = http.get("/image", params={"path": path, "width": "10"})
    assert answer.status_code == status
    if status != 200:
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["errors"][0]["param"] == "path"
        assert str(images) not in answer.text


@pytest.mark.parametrize(
    "name", ["..%2f..%2fetc%2fpasswd", "missing.png", "%2e%2e/x.png", "a%5cb.png"]
)
def test_store_serves_only_stored_variants(http, name):
    answer = http.get(f"/store/{name}")
    assert answer.status_code in (400, 404)
    assert answer.json()["errors"]


@pytest.mark.parametrize(
    ("url", "status", "param"),
    [
        ("/image?path=a.png", 400, "width"),
        ("/image?path=not-an-image.jpg&width=10", 415, "path"),
        ("/image?path=missing.png&width=10", 404, "path"),
        ("/info", 400, "path"),
        ("/info?path=a.png&width=3", 400, "width"),
        ("/nowhere", 404, None),
    ],
)
def test_errors_are_json_with_the_right_status(http, url, status, param):
    answer = http.get(url)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["errors"][0]["param"] == param


def test_a_wrong_method_is_405_in_json(http):
    wrong_method = http.post("/image?path=a.png&width=10")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["errors"]


def test_every_problem_is_reported_at_once(http):
    answer = http.get("/image?path=a.png&width=-1&quality=0&colour=red&mode=flip")
    assert answer.status_code == 400
    params = [e["param"] for e in answer.json()["errors"]]
    assert sorted(params) == ["colour", "direction", "quality", "width"]


def test_source_pixel_limit_is_checked_from_the_header(make_app):
    app = make_app(limits={"max_source_pixels": 1000})
    with app.http() as http:
        answer = http.get("/image", params={"path": "a.png", "width": "10"})
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["param"] == "path"
    assert app.engine_runs() == 0


def test_output_size_limit(make_app):
    with make_app(limits={"max_width": 100, "max_height": 100}).http() as http:
        assert http.get("/image", params={"path": "a.png", "width": "101"}).status_code == 400
        derived = http.get(
            "/image", params={"path": "photos/Autumn.jpg", "height": "100", "upscale": "true"}
        )
        assert derived.status_code == 400
        assert derived.json()["errors"][0]["param"] == "width"


def test_default_format_and_presets_come_from_the_configuration(make_app):
    app = make_app(
        options={
            "default_format": "webp",
            "presets": {"small": {"width": 40, "height": 30, "mode": "resize"}},
        }
    )
    with app.http() as http:
        answer = http.get("/image", params={"path": "a.png", "preset": "small"})
        assert answer.headers["content-type"] == "image/webp"
        image = synth.load(answer.content)
        assert (image.width, image.height) == (40, 30)
        wider = synth.load(
            http.get("/image", params={"path": "a.png", "preset": "small", "width": "50"}).content
        )
        assert (wider.width, wider.height) == (50, 30)
        unknown = http.get("/image", params={"path": "a.png", "preset": "huge"})
        assert unknown.status_code == 400
        assert unknown.json()["errors"][0]["param"] == "preset"


def replaceable_source(make_app, folder: Path, source_ttl: float):
    """An application over a folder of its own holding `replaced.png` (40x40)."""
    folder.mkdir()
    synth.gradient(40, 40).pngsave(str(folder / "replaced.png"))
    storage = {
        "source": {"type": "fs", "location": str(folder)},
        "store": {"type": "fs", "location": str(folder.parent / f"{folder.name}-store")},
    }
    return make_app(storage=storage, options={"source_ttl": source_ttl})


QUERY_REPLACED = {"path": "replaced.png", "width": "20"}


def test_within_source_ttl_the_known_version_of_a_source_is_trusted(make_app, tmp_path):
    # A TTL far longer than the test: no race with the clock.
    app = replaceable_source(make_app, tmp_path / "trusted", source_ttl=3600)
    with app.http() as http:
        first = http.get("/image", params=QUERY_REPLACED)
        synth.gradient(80, 20).pngsave(str(app.root / "replaced.png"))
        again = http.get("/image", params=QUERY_REPLACED)
    assert again.headers["etag"] == first.headers["etag"]
    assert synth.load(again.content).height == 20


def test_a_source_replaced_in_place_gets_a_new_variant_after_source_ttl(make_app, tmp_path):
    app = replaceable_source(make_app, tmp_path / "replaced", source_ttl=0.2)
    with app.http() as http:
        first = http.get("/image", params=QUERY_REPLACED)
        synth.gradient(80, 20).pngsave(str(app.root / "replaced.png"))
        # Once source_ttl has passed the new version is seen: asked until it is.
        deadline = time.monotonic() + PATIENCE
        while True:
            second = http.get("/image", params=QUERY_REPLACED)
            if second.headers["etag"] != first.headers["etag"]:
                break
            assert time.monotonic() < deadline, "the replaced source was never seen"
            time.sleep(0.05)
    assert second.headers["x-fitter-cache"] == "miss"
    assert synth.load(second.content).height == 5


def test_embedded_default_serves_from_images_in_the_working_directory(tmp_path):
    """`fitter serve` with no file: ./images is created, ./store is used, port from env.

    A real process: what is under test is the command's own defaults."""
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "fitter", "serve"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "FITTER_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not (tmp_path / "images").is_dir() or not answers(url):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        pyvips.Image.black(400, 300).pngsave(str(tmp_path / "images" / "black.png"))
        answer = httpx.get(f"{url}/image", params={"path": "black.png", "width": "200"})
        assert answer.status_code == 200
        image = synth.load(answer.content)
        assert (image.width, image.height) == (200, 150)
        assert any((tmp_path / "store").iterdir())
    finally:
        process.terminate()
        process.wait(10)


def answers(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_source_byte_limit(make_app):
    with make_app(limits={"max_source_bytes": 100_000}).http() as http:
        answer = http.get("/image", params={"path": "photos/Autumn.jpg", "width": "10"})
        assert answer.status_code == 413
        assert answer.json()["errors"][0]["param"] == "path"
        assert http.get("/image", params={"path": "a.png", "width": "10"}).status_code == 200
