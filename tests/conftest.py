"""Fixtures: source images, and the real server started on a free loopback port."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips
from hypothesis import settings

from support import images as synth
from support import inprocess, services
from support.servers import ROOT, Server, fs_config, start_server, stop_server

PHOTOS = ROOT / ".testdata" / "wallpapers"

# Property tests are judged by what they find, never by how long an example takes: a busy
# machine must not fail them.
settings.register_profile("fitter", deadline=None)
settings.load_profile("fitter")


@pytest.fixture(scope="session")
def photos() -> Path:
    """Real 2560x1600 JPEG photographs (Debian's plasma-workspace-wallpapers)."""
    assert (PHOTOS / ".done").is_file(), "run `make testdata` (make test does) first"
    return PHOTOS


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory, photos: Path) -> Path:
    """A source root holding every kind of original the tests ask for."""
    root = tmp_path_factory.mktemp("images")
    autumn = pyvips.Image.new_from_file(str(photos / "Autumn.jpg"))
    (root / "Wallpaper").mkdir()
    # The seed talk's demo file: a 2880x1800 PNG made from a real photograph.
    autumn.resize(2880 / 2560).pngsave(str(root / "Wallpaper" / "squares_widew.png"))
    (root / "wallpaper").mkdir()
    autumn.thumbnail_image(1200).pngsave(str(root / "wallpaper" / "lion.png"))
    (root / "image").mkdir()
    autumn.thumbnail_image(800, height=800, crop="centre").pngsave(
        str(root / "image" / "profile.png")
    )
    synth.gradient(64, 48).pngsave(str(root / "a.png"))
    (root / "photos").mkdir()
    for photo in photos.glob("*.jpg"):
        shutil.copy(photo, root / "photos" / photo.name)
    gradient = synth.gradient(300, 200)
    gradient.pngsave(str(root / "gradient.png"))
    gradient.jpegsave(str(root / "gradient.jpg"), Q=95)
    synth.with_orientation(gradient, 6).jpegsave(str(root / "orient6.jpg"), Q=95)
    synth.save_cmyk_jpeg(gradient, root / "cmyk.jpg")
    synth.save_16bit_png(gradient, root / "deep.png")
    synth.with_alpha(gradient).pngsave(str(root / "alpha.png"))
    animation = synth.animation(120, 90, 3)
    animation.gifsave(str(root / "anim.gif"))
    animation.webpsave(str(root / "anim.webp"))
    (root / "not-an-image.jpg").write_bytes(b"this is text, not a JPEG\n" * 10)
    outside = tmp_path_factory.mktemp("outside")
    gradient.pngsave(str(outside / "secret.png"))
    (root / "escape.png").symlink_to(outside / "secret.png")
    (root / "inside-link.png").symlink_to(root / "a.png")
    return root


@pytest.fixture(scope="session")
def server(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server on the default settings, shared by the tests that only read."""
    work = tmp_path_factory.mktemp("server")
    running = start_server(fs_config(images, work / "store"), work)
    yield running
    stop_server(running.process)


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http


@pytest.fixture
def make_server(images: Path, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start a server with extra configuration sections; stopped after the test."""
    started: list[Server] = []

    def make(env: dict[str, str] | None = None, **sections: Any) -> Server:
        work = tmp_path / f"server{len(started)}"
        running = start_server(fs_config(images, work / "store", **sections), work, env)
        started.append(running)
        return running

    yield make
    for running in started:
        stop_server(running.process)


@pytest.fixture(scope="session")
def app(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[inprocess.App]:
    """One in-process application on the default settings, shared by tests that only read."""
    work = tmp_path_factory.mktemp("app")
    with inprocess.running(fs_config(images, work / "store"), work) as running:
        yield running


@pytest.fixture
def http(app: inprocess.App) -> Iterator[httpx.Client]:
    """A client of the shared in-process application."""
    with app.http() as client:
        yield client


@pytest.fixture
def make_app(images: Path, tmp_path: Path) -> Iterator[Callable[..., inprocess.App]]:
    """An in-process application with extra configuration sections; closed after the test.

    `storage=…` replaces the default fs source (`images`) and store (a fresh folder)."""
    started: list[inprocess.App] = []

    def make(**sections: Any) -> inprocess.App:
        work = tmp_path / f"app{len(started)}"
        running = inprocess.start_app(fs_config(images, work / "store", **sections), work)
        started.append(running)
        return running

    yield make
    for running in reversed(started):
        running.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.RedisServer]:
    """A real redis-server on a free loopback port, shared by the session."""
    server = services.start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.S3Server]:
    """A real S3 server (SeaweedFS `weed mini`) on free loopback ports, shared by the session."""
    server = services.start_s3(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail("Debian's chromium is missing: run `make services` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
