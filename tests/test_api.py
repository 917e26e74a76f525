"""The native HTTP API end to end: answers, cache layers, errors and safety, on a real server."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import images as synth
import pytest
import pyvips
import services


def test_x_fitter_cache_says_miss_then_cache_then_store_after_a_restart(make_server):
    first = make_server()
    query = {"path": "a.png", "width": "32"}
    with first.client() as http:
        assert http.get("/image", params=query).headers["x-fitter-cache"] == "miss"
        assert http.get("/image", params=query).headers["x-fitter-cache"] == "cache"
        assert http.get("/get", params=query).headers["x-fitter-cache"] == "cache"
    first.process.terminate()
    first.process.wait(10)
    # A new process has an empty memory cache but the same store: the store answers once.
    second = make_server(storage=storage_of(first))
    with second.client() as http:
        answer = http.get("/image", params=query)
        assert answer.headers["x-fitter-cache"] == "store"
        assert synth.load(answer.content).width == 32
        assert http.get("/image", params=query).headers["x-fitter-cache"] == "cache"
        assert services.engine_runs(str(http.base_url)) == 0


def storage_of(server) -> dict:
    return {
        "source": {"type": "fs", "location": str(server.root)},
        "store": {"type": "fs", "location": str(server.store)},
    }


def test_get_describes_the_stored_variant_and_its_url_serves_it(client, server):
    query = {
        "mode": "resize",
        "path": "/wallpaper/lion.png",
        "format": "jpg",
        "width": "300",
        "height": "400",
    }
    answer = client.get("/get", params=query)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"filename", "path", "url", "width", "height", "format", "bytes"}
    assert (body["width"], body["height"], body["format"]) == (300, 400, "jpeg")
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", body["filename"])
    assert body["path"] == body["filename"]
    assert body["url"] == f"{server.url}/store/{body['path']}"
    stored = httpx.get(body["url"])
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "image/jpeg"
    assert len(stored.content) == body["bytes"]
    assert (server.store / body["path"]).read_bytes() == stored.content


def test_image_and_get_name_the_same_variant(client):
    query = {"path": "a.png", "width": "20", "format": "webp"}
    body = client.get("/get", params=query).json()
    image = client.get("/image", params=query)
    assert image.headers["etag"] == f'"{body["filename"].split(".")[0]}"'
    assert len(image.content) == body["bytes"]


def test_prefix_shard_and_base_url_shape_the_store(make_server):
    server = make_server(options={"prefix": "variants", "shard": 2})
    with server.client() as http:
        body = http.get("/get", params={"path": "a.png", "width": "10"}).json()
        key = body["filename"].split(".")[0]
        assert body["path"] == f"variants/{key[:2]}/{key[2:4]}/{key}.png"
        assert (server.store / body["path"]).is_file()
        assert (
            http.get(f"/store/{body['path']}").content == (server.store / body["path"]).read_bytes()
        )
    storage = storage_of(server)
    storage["store"]["base_url"] = "https://img.example.com/v/"
    public = make_server(storage=storage)
    with public.client() as http:
        body = http.get("/get", params={"path": "a.png", "width": "10"}).json()
        assert body["url"] == "https://img.example.com/v/" + body["path"]


def test_redirect_points_at_the_stored_variant(client):
    for query in (
        {"mode": "rotate", "path": "a.png", "degree": "90"},
        {"mode": "flip", "direction": "h", "path": "a.png"},
    ):
        answer = client.get("/redirect", params=query)
        assert answer.status_code == 302
        assert answer.headers["x-fitter-cache"] in ("miss", "cache")
        image = synth.load(httpx.get(answer.headers["location"]).content)
        expected = (48, 64) if query["mode"] == "rotate" else (64, 48)
        assert (image.width, image.height) == expected


def test_show_queues_then_answers_ready(client):
    query = {"mode": "thumbnail", "path": "/image/profile.png", "width": "600", "height": "0"}
    first = client.get("/show", params=query)
    assert first.status_code == 202
    pending = first.json()
    assert pending["status"] == "pending"
    assert set(pending) == {"filename", "path", "url", "status"}
    ready = poll_show(client, query)
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert (body["width"], body["height"]) == (600, 600)
    assert body["path"] == pending["path"]
    assert synth.load(httpx.get(body["url"]).content).width == 600


def poll_show(http: httpx.Client, query: dict) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = http.get("/show", params=query)
        if answer.status_code != 202:
            return answer
        time.sleep(0.05)
    raise AssertionError("the variant was never generated")


@pytest.fixture(scope="module")
def broken_png(images: Path) -> str:
    """A photograph cut in half: its header is fine, it fails only in decoding."""
    data = (images / "photos" / "Autumn.jpg").read_bytes()
    (images / "truncated.jpg").write_bytes(data[: len(data) // 2])
    return "truncated.jpg"


def test_show_reports_a_failed_background_generation_then_tries_again(client, broken_png):
    query = {"path": broken_png, "width": "50", "format": "png"}
    assert client.get("/info", params={"path": broken_png}).status_code == 200
    assert client.get("/show", params=query).status_code == 202
    failed = poll_show(client, query)
    assert failed.status_code == 415
    assert failed.json()["errors"][0]["param"] == "path"
    assert client.get("/show", params=query).status_code == 202


def test_etag_and_if_none_match(client):
    query = {"path": "a.png", "width": "16"}
    first = client.get("/image", params=query)
    assert first.headers["etag"].startswith('"')
    assert first.headers["cache-control"] == "public, max-age=86400"
    again = client.get("/image", params=query, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get("/image", params=query, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_concurrent_requests_for_one_missing_variant_generate_it_once(make_server):
    server = make_server()

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            query = {"path": "photos/Autumn.jpg", "width": "333", "format": "png"}
            return await asyncio.gather(*(http.get("/image", params=query) for _ in range(8)))

    answers = asyncio.run(burst())
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert {a.headers["x-fitter-cache"] for a in answers} == {"miss"}
    with server.client() as http:
        assert services.engine_runs(str(http.base_url)) == 1


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
def test_paths_never_leave_the_source_root(client, images, path, status):
    raw = path if "%" in path else None
    if raw:
        answer = client.get(f"/image?width=10&path={raw}")
    else:
        answer = client.get("/image", params={"path": path, "width": "10"})
    assert answer.status_code == status
    if status != 200:
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["errors"][0]["param"] == "path"
        assert str(images) not in answer.text


@pytest.mark.parametrize(
    "name", ["..%2f..%2fetc%2fpasswd", "missing.png", "%2e%2e/x.png", "a%5cb.png"]
)
def test_store_serves_only_stored_variants(client, name):
    answer = client.get(f"/store/{name}")
    assert answer.status_code in (400, 404)
    assert answer.json()["errors"]


def test_errors_are_json_with_the_right_status(client):
    cases = [
        ("/image?path=a.png", 400, "width"),
        ("/image?path=not-an-image.jpg&width=10", 415, "path"),
        ("/image?path=missing.png&width=10", 404, "path"),
        ("/info", 400, "path"),
        ("/info?path=a.png&width=3", 400, "width"),
        ("/nowhere", 404, None),
    ]
    for url, status, param in cases:
        answer = client.get(url)
        assert answer.status_code == status, url
        assert answer.headers["content-type"] == "application/json", url
        assert answer.json()["errors"][0]["param"] == param, url
    wrong_method = client.post("/image?path=a.png&width=10")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["errors"]


def test_every_problem_is_reported_at_once(client):
    answer = client.get("/image?path=a.png&width=-1&quality=0&colour=red&mode=flip")
    assert answer.status_code == 400
    params = [e["param"] for e in answer.json()["errors"]]
    assert sorted(params) == ["colour", "direction", "quality", "width"]


def test_source_pixel_limit_is_checked_from_the_header(make_server):
    server = make_server(limits={"max_source_pixels": 1000})
    with server.client() as http:
        answer = http.get("/image", params={"path": "a.png", "width": "10"})
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["param"] == "path"
        assert services.engine_runs(str(http.base_url)) == 0


def test_output_size_limit(make_server):
    server = make_server(limits={"max_width": 100, "max_height": 100})
    with server.client() as http:
        assert http.get("/image", params={"path": "a.png", "width": "101"}).status_code == 400
        derived = http.get(
            "/image", params={"path": "photos/Autumn.jpg", "height": "100", "upscale": "true"}
        )
        assert derived.status_code == 400
        assert derived.json()["errors"][0]["param"] == "width"


def test_default_format_and_presets_come_from_the_configuration(make_server):
    server = make_server(
        options={
            "default_format": "webp",
            "presets": {"small": {"width": 40, "height": 30, "mode": "resize"}},
        }
    )
    with server.client() as http:
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


def test_a_source_replaced_in_place_gets_a_new_variant(make_server, images):
    target = images / "replaced.png"
    synth.gradient(40, 40).pngsave(str(target))
    server = make_server(options={"source_ttl": 0.3})
    with server.client() as http:
        first = http.get("/image", params={"path": "replaced.png", "width": "20"})
        synth.gradient(80, 20).pngsave(str(target))
        # Within source_ttl the known version is trusted; after it, the new one is seen.
        assert (
            http.get("/image", params={"path": "replaced.png", "width": "20"}).headers["etag"]
            == first.headers["etag"]
        )
        time.sleep(0.4)
        second = http.get("/image", params={"path": "replaced.png", "width": "20"})
    assert first.headers["etag"] != second.headers["etag"]
    assert second.headers["x-fitter-cache"] == "miss"
    assert synth.load(second.content).height == 5


def test_embedded_default_serves_from_images_in_the_working_directory(tmp_path):
    """`fitter serve` with no file: ./images is created, ./store is used, port from env."""
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


def test_source_byte_limit(make_server):
    server = make_server(limits={"max_source_bytes": 100_000})
    with server.client() as http:
        answer = http.get("/image", params={"path": "photos/Autumn.jpg", "width": "10"})
        assert answer.status_code == 413
        assert answer.json()["errors"][0]["param"] == "path"
        assert http.get("/image", params={"path": "a.png", "width": "10"}).status_code == 200
