"""The web console: its JSON API (in process), and the page itself in Debian's Chromium.

The browser needs a real address: its tests share one real `fitter serve` per module.
"""

from __future__ import annotations

import os
import shutil
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio.from_thread
import pytest

from fitter.config import S3Storage
from fitter.signing import sign_url
from fitter.storage.fs import FsSource
from fitter.storage.s3 import Bucket, S3Source
from support import images as synth
from support import services
from support.servers import Server, fs_config, start_server, stop_server

KEY = "console-key"
VIEWPORT = {"width": 1280, "height": 900}
IMAGE_EXTENSIONS = {".jpg", ".png", ".gif", ".webp"}


def expected_listing(root: Path) -> list[str]:
    """What the console should list: image-named files inside the root, symlinks that stay
    inside included, the one that leaves the root left out."""
    names = []
    for folder, _, files in os.walk(root):
        for file in files:
            path = Path(folder) / file
            if path.suffix in IMAGE_EXTENSIONS and path.resolve().is_relative_to(root.resolve()):
                names.append(path.relative_to(root).as_posix())
    return sorted(names)


CONSOLE = {"options": {"enable_upload": True}, "security": {"key": [KEY]}}


@pytest.fixture
def console(make_app):
    """An application with its console, uploads and a key, on the shared `images` source."""
    return make_app(**CONSOLE)


def all_pages(http, limit: int, **params: str) -> tuple[list[str], int]:
    names: list[str] = []
    pages = 0
    after = None
    while True:
        query = {"limit": str(limit), **params} | ({"after": after} if after else {})
        answer = http.get("/console/api/images", params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        names += body["images"]
        pages += 1
        assert len(body["images"]) <= limit
        after = body["next"]
        if after is None:
            return names, pages


def test_the_page_is_html_at_both_addresses(console):
    with console.http() as http:
        for address in ("/", "/console"):
            answer = http.get(address)
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/html")
            assert "<title>fitter console</title>" in answer.text
        assert http.get("/console/console.js").headers["content-type"].startswith("text/javascript")
        assert http.get("/console/console.css").headers["content-type"].startswith("text/css")
        assert http.get("/console/nothing.txt").status_code == 404


def test_listing_pages_through_every_image_once(console, images):
    with console.http() as http:
        names, pages = all_pages(http, 4)
    expected = expected_listing(images)
    assert names == expected
    assert pages == -(-len(expected) // 4)
    assert "escape.png" not in names  # a symlink leaving the root
    assert "inside-link.png" in names
    assert not any(part.startswith(".") for name in names for part in name.split("/"))


def test_listing_filter_matches_any_part_of_the_path_in_any_case(console, images):
    with console.http() as http:
        names, _ = all_pages(http, 2, q="GRADIENT")
        assert names == ["gradient.jpg", "gradient.png"]
        folder, _ = all_pages(http, 50, q="photos/")
        assert folder == [n for n in expected_listing(images) if n.startswith("photos/")]
        assert folder
        none = http.get("/console/api/images", params={"q": "no-such-name"}).json()
        assert none == {"images": [], "next": None}
        bad = http.get("/console/api/images", params={"limit": "0", "sort": "x"})
        assert bad.status_code == 400
        assert {p["param"] for p in bad.json()["errors"]} == {"sort"}


def test_signed_urls_from_the_console_are_accepted(console):
    with console.http() as http:
        wanted = "/image?path=gradient.png&width=120"
        answer = http.post("/console/api/sign", json={"urls": [wanted, "/info?path=a.png"]})
        assert answer.status_code == 200
        image, info = answer.json()["urls"]
        assert image == sign_url(wanted, KEY)
        assert synth.load(http.get(image).content).width == 120
        assert http.get(info).json()["width"] == 64
        assert http.get(wanted).status_code == 403


def test_signing_refuses_other_endpoints_and_hosts(console):
    with console.http() as http:
        for url in ["/console/api/images", "https://evil.example/image?path=a", "//x/image", 3]:
            answer = http.post("/console/api/sign", json={"urls": [url]})
            assert answer.status_code == 400, url
        untyped = http.post("/console/api/sign", content=b'{"urls":["/get?path=a.png"]}')
        assert untyped.status_code == 400
        form = http.post("/console/api/sign", data={"urls": "/get?path=a.png"})
        assert form.status_code == 400
        assert http.post("/console/api/sign", json={"urls": []}).status_code == 400


def test_upload_urls_are_signed_only_when_uploads_are_on(make_app):
    with make_app(security={"key": [KEY]}).http() as http:
        answer = http.post("/console/api/sign", json={"urls": ["/upload?path=x.png"]})
        assert answer.status_code == 400
        assert http.get("/console/api/settings").json()["upload"] is False


def test_everything_is_off_when_the_console_is(make_app):
    with make_app(options={"console": False}, security={"key": [KEY]}).http() as http:
        for address in ("/", "/console", "/console/console.js", "/console/api/images"):
            answer = http.get(address)
            assert answer.status_code == 404, address
            assert answer.headers["content-type"] == "application/json"
            assert answer.json()["errors"]
        signing = http.post("/console/api/sign", json={"urls": ["/image?path=a.png"]})
        assert signing.status_code == 404
        assert "sig=" not in signing.text


def test_the_key_is_in_no_console_answer(console):
    with console.http() as http:
        answers = [
            http.get(address)
            for address in (
                "/",
                "/console",
                "/console/console.js",
                "/console/console.css",
                "/console/api/settings",
                "/console/api/images",
            )
        ]
        answers.append(http.post("/console/api/sign", json={"urls": ["/get?path=a.png"]}))
        answers.append(http.post("/console/api/sign", json={"urls": ["/nope"]}))
    for answer in answers:
        assert KEY not in answer.text
        assert KEY not in str(answer.headers)
    assert answers[4].json() == {"signed": True, "upload": True, "default_format": "original"}


def listed(source, prefix: str, limit: int, after: str | None) -> list[str]:
    """`source.list(…)` awaited on a loop of its own, in a thread of its own: Playwright's
    synchronous API keeps a loop running in this thread while the module's browser is open."""
    with anyio.from_thread.start_blocking_portal() as portal:
        return portal.call(source.list, prefix, limit, after)


def test_fs_listing_skips_hidden_names_scratch_and_symlinked_folders(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    for name in ["a.jpg", "c.PNG", "notes.txt", ".hidden.png", ".fitter-tmp/x.png", "sub/b.png"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    (outside / "far.png").parent.mkdir()
    (outside / "far.png").write_bytes(b"x")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "far.png").symlink_to(outside / "far.png")
    (root / "near.png").symlink_to(root / "a.jpg")
    source = FsSource(root)
    assert listed(source, "", 10, None) == ["a.jpg", "c.PNG", "near.png", "sub/b.png"]
    assert listed(source, "", 2, "a.jpg") == ["c.PNG", "near.png"]
    assert listed(source, "sub/", 10, None) == ["sub/b.png"]
    assert listed(source, "", 10, "sub/b.png") == []


def test_s3_listing_pages_under_the_location(s3_server: services.S3Server):
    bucket = f"fitter-{uuid.uuid4().hex[:12]}"
    client = s3_server.client()
    client.create_bucket(Bucket=bucket)
    for key in ["orig/a.jpg", "orig/b/c.png", "orig/notes.txt", "orig/.d.png", "other/x.png"]:
        client.put_object(Bucket=bucket, Key=key, Body=b"x")
    storage = S3Storage.model_validate(
        {
            "type": "s3",
            "bucket_name": bucket,
            "location": "orig",
            "aws_access_key_id": s3_server.access_key,
            "aws_secret_access_key": s3_server.secret_key,
            "bucket_region": "us-east-1",
            "endpoint_url": s3_server.endpoint,
            "path_style": True,
        }
    )
    source = S3Source(Bucket(storage))
    assert listed(source, "", 10, None) == ["a.jpg", "b/c.png"]
    assert listed(source, "", 1, None) == ["a.jpg"]
    assert listed(source, "", 1, "a.jpg") == ["b/c.png"]
    assert listed(source, "b/", 10, None) == ["b/c.png"]


# ---- the page in Chromium ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def console_server(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real `fitter serve` with the console, uploads and a key, for every browser test
    of the module (each test leaves the source as it found it)."""
    work = tmp_path_factory.mktemp("console-server")
    running = start_server(fs_config(images, work / "store", **CONSOLE), work)
    yield running
    stop_server(running.process)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def preview_width(page, width: int) -> None:
    page.wait_for_function(
        "w => { const i = document.getElementById('preview');"
        " return i.complete && i.naturalWidth === w && !i.hidden; }",
        arg=width,
    )


def test_pick_an_image_and_change_the_width(console_server, page, tmp_path):
    page.goto(console_server.url + "/")
    page.fill("#filter", "gradient")
    page.click("#image-list button[data-path='gradient.png']")
    page.wait_for_selector("#info th:text('width')")
    assert page.text_content("#original-path") == "gradient.png"
    preview_width(page, 400)  # the page's default width
    assert not page.is_visible("input[name=degree]")  # rotate's own field, hidden here
    page.fill("input[name=width]", "120")
    preview_width(page, 120)
    assert page.evaluate("document.getElementById('preview').naturalHeight") == 80
    stats = "document.getElementById('stats').textContent"
    page.wait_for_function(stats + ".startsWith('120 \u00d7 80 px')")
    urls = page.text_content("#urls")
    for endpoint in ("/image?", "/get?", "/redirect?"):
        assert console_server.url + endpoint in urls
    assert "sig=" in urls and "width=120" in urls
    assert '"width": 120' in page.text_content("#get-json")

    shot = tmp_path / "console.png"
    page.screenshot(path=str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])


def test_upload_through_the_file_input_and_see_it_listed(console_server, page, images, tmp_path):
    folder = f"console-{uuid.uuid4().hex[:8]}"
    upload = tmp_path / "sunset.png"
    synth.gradient(90, 60).pngsave(str(upload))
    try:
        page.goto(console_server.url + "/console")
        page.wait_for_selector("#upload:not([hidden])")
        page.fill("#upload-path", f"{folder}/sunset.png")
        page.set_input_files("#file", str(upload))
        listed = f"#image-list button[data-path='{folder}/sunset.png']"
        page.wait_for_selector(listed + "[aria-current=true]")
        assert page.text_content("#upload-status").startswith(f"Uploaded {folder}/sunset.png")
        assert (images / folder / "sunset.png").read_bytes() == upload.read_bytes()
        preview_width(page, 400)
        page.fill("#filter", "")
        page.fill("#filter", folder)
        page.wait_for_function(
            "document.querySelectorAll('#image-list button').length === 1", timeout=10_000
        )
    finally:
        shutil.rmtree(images / folder, ignore_errors=True)


def test_a_phone_sized_screen_needs_no_sideways_scrolling(console_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(console_server.url + "/")
        page.click("#image-list button[data-path='a.png']")
        preview_width(page, 400)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()
