"""The hostile-input suite: what an attacker sends to a deployment with the defaults and a key.

Every case asserts its exact status and a JSON error (`{"errors":[{"param","message"}]}`,
never HTML, never a server path), all against long-lived applications answering in process,
one per configuration:

- `main`: a key, default limits, a source folder of crafted files (bombs, broken files,
  files whose names lie, symlinks out of the root, SVGs);
- `svg_server`: the same plus `limits.svg: true` and a lowered `max_source_pixels` (one for
  each test: see the fixture);
- `ssrf_server`: http sources allowed for every spelling of local and internal hosts, without
  `allow_ranges`, so that the SSRF guard (not the allow-list) is what refuses them;
- `redirect_server`: `allow_ranges: [127.0.0.1/32]` and a local origin whose redirects lead to
  forbidden addresses.

Nothing here sends a packet off this machine: hosts outside loopback are only ever named in
URLs that the guard refuses before connecting, and each such URL is first checked against the
guard in this process, so that a broken guard fails the test instead of sending anything.

No request may reach the last-resort handler (a 500, which logs "unexpected error"): every
answer is checked for it as it arrives, and each application's count of 500s is checked again
when the module is done with it, together with a normal request that it must still serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import pyvips
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitter.config import Limits, Options
from fitter.dialects import native
from fitter.dialects.rules import Rules
from fitter.errors import FitterError, InvalidRequest
from fitter.plan import Plan
from fitter.signing import sign_url
from fitter.storage import ssrf
from support import hostile_files as hf
from support import images as synth
from support import inprocess
from support.servers import ROOT, fs_config

KEY = "hostile-key"
SECURITY = {"key": [KEY]}
BOMB_SECONDS = 5.0
RSS_JUMP_BYTES = 100 * 1024 * 1024
# How much the process answering may grow over the whole module (in process: this one).
RSS_GROWTH_BYTES = 500 * 1024 * 1024
LOWERED_PIXELS = 5_000_000


# --- requests and answers -----------------------------------------------------------------


Query = str | list[tuple[str, str]]


def query_text(query: Query) -> str:
    """A raw query string as given, or pairs percent-encoded as a browser would."""
    if isinstance(query, str):
        return query
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in query)


@dataclass
class Target:
    """An application answering in process, and a client that signs what it sends."""

    app: inprocess.App
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = self.app.http()

    def url(self, endpoint: str, query: Query, sign: bool = True) -> str:
        relative = f"{endpoint}?{query_text(query)}"
        return sign_url(relative, KEY) if sign else relative

    def get(self, endpoint: str, query: Query, sign: bool = True, **options) -> httpx.Response:
        return self.fetch(self.url(endpoint, query, sign), **options)

    def fetch(self, url: str, **options) -> httpx.Response:
        """GET `url`; whatever was sent, the answer never comes from the last-resort handler
        (a 500), and an error is JSON."""
        answer = self.http.get(url, **options)
        assert answer.status_code != 500, (url[:200], answer.text[:3000])
        if answer.status_code >= 400:
            assert answer.headers["content-type"].startswith("application/json"), answer.headers
        return answer

    def unexpected_errors(self) -> float:
        """The 500 answers this application has given (each one logged a traceback)."""
        metrics = self.http.get("/metrics").text
        found = re.findall(r'^fitter_requests_total\{.*status="500".*\} (\S+)$', metrics, re.M)
        return sum(map(float, found))

    def close(self) -> None:
        """Checks what the module did to it, then stops it."""
        try:
            assert self.unexpected_errors() == 0
            assert self.http.get("/health").status_code == 200
            normal = self.get("/image", "path=ok.jpg&width=20&format=webp")
            assert normal.status_code == 200, normal.text[:300]
            assert normal.headers["content-type"] == "image/webp"
        finally:
            self.http.close()
            self.app.close()


def assert_error(
    answer: httpx.Response,
    status: int,
    params: set[str | None] | None = None,
    *,
    secrets: tuple[str, ...] = (),
) -> list[dict]:
    """`answer` is exactly `status` with a JSON error body, naming `params` when given, and
    leaking no server path."""
    assert answer.status_code == status, (answer.status_code, answer.text[:600])
    assert answer.headers["content-type"].startswith("application/json"), answer.headers
    body = answer.json()
    assert isinstance(body, dict) and set(body) == {"errors"}, body
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    for error in errors:
        assert set(error) == {"param", "message"}, error
        assert isinstance(error["message"], str) and error["message"], error
        assert error["param"] is None or isinstance(error["param"], str), error
    text = answer.text
    lowered = text.lower()
    assert "<html" not in lowered and "traceback" not in lowered, text[:600]
    for leak in (*LEAKS, *secrets):
        assert leak not in text, (leak, text[:600])
    if params is not None:
        assert {e["param"] for e in errors} == params, errors
    return errors


# The process's memory before `main` was built (filled by that fixture).
MAIN_BASELINE: list[int] = []
# Filled by the `lab` fixture: the server-side folders no answer may name.
LEAKS: list[str] = [str(ROOT)]


def vm_rss(pid: int) -> int:
    """Resident memory of a process, in bytes (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def has_colour(data: bytes, rgb: tuple[int, int, int], tolerance: int = 60) -> bool:
    """Whether any pixel of an encoded image is close to `rgb`."""
    image = pyvips.Image.new_from_buffer(data, "")
    if image.bands < 3:
        image = image.colourspace("srgb")
    mask = None
    for band, value in enumerate(rgb):
        near = (image[band] - value).abs() < tolerance
        mask = near if mask is None else mask & near
    return mask.max() > 0


# --- local HTTP servers: a trap that must never be reached, and an origin that redirects ----


class Listener:
    """A tiny HTTP server on loopback answering from a table of routes; counts hits."""

    def __init__(self, hosts: tuple[str, ...] = ("127.0.0.1",), port: int = 0) -> None:
        self.hits: Counter[str] = Counter()
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.hits[self.path] += 1
                status, headers, body = listener.routes.get(
                    self.path.split("?", 1)[0], (200, {"Content-Type": "image/png"}, SECRET)
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.servers: list[ThreadingHTTPServer] = []
        for host in hosts:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            server_class = type("Server", (ThreadingHTTPServer,), {"address_family": family})
            try:
                server = server_class((host, port), Handler)
            except OSError:
                if not self.servers:
                    raise
                continue  # an extra address (say ::1 without IPv6) is optional
            port = server.server_address[1]
            self.servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.port = port

    @property
    def total(self) -> int:
        return sum(self.hits.values())

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


SECRET = hf.secret_png()


def refused_by_guard(url: str, allowed: tuple[str, ...] = ()) -> None:
    """Fail now, in this process, unless the SSRF guard refuses `url`: a test never asks a
    server to fetch a URL that the guard code would let through to another machine."""
    from fitter.errors import Forbidden

    try:
        asyncio.run(ssrf.check(url, ssrf.networks(list(allowed))))
    except Forbidden:
        return
    pytest.fail(f"the SSRF guard lets {url} through: not sending it to the server")


# --- the crafted source folder ------------------------------------------------------------


@dataclass
class Lab:
    root: Path
    outside: Path
    trap: Listener


@pytest.fixture(scope="module")
def trap() -> Iterator[Listener]:
    """Listens on 127.0.0.1, 127.0.0.2 and ::1 on one port; every test asserts it got
    nothing (a fetch of an internal address that the guard missed would land here)."""
    probe = Listener(("127.0.0.1",))
    port = probe.port
    probe.close()
    listener = Listener(("127.0.0.1", "127.0.0.2", "::1"), port)
    # The trap counts what reaches it (checked once here, then forgotten).
    assert httpx.get(f"http://127.0.0.1:{port}/self-check").content == SECRET
    assert listener.hits["/self-check"] == 1
    listener.hits.clear()
    yield listener
    listener.close()


BROKEN_KINDS = {
    "jpeg": ["cut-half", "cut-90", "header-only", "bad-huffman", "bad-scan-header", "zero-size"],
    "png": ["cut-half", "cut-90", "header-only", "overwritten", "bad-idat-crc", "zero-tail"],
    "webp": ["cut-half", "cut-90", "header-only", "bad-frame-header", "zero-tail"],
    "gif": ["cut-half", "cut-90", "header-only", "overwritten"],
    # (libvips reads a cut animated GIF as its whole frames, as browsers do: not an error)
    "animation": ["overwritten"],
    "tiff": ["cut-half", "cut-90", "header-only", "overwritten", "zero-tail"],
    "avif": ["cut-half", "cut-90", "header-only", "overwritten", "zero-tail"],
}
EXTENSIONS = {"jpeg": "jpg", "animation": "gif", "tiff": "tif"}


def jpeg_segment(data: bytes, marker: int) -> int:
    position = 2
    while data[position + 1] != marker:
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return position


def broken(kind: str, data: bytes) -> bytes:
    if kind == "cut-half":
        return hf.truncated(data, 0.5)
    if kind == "cut-90":
        return hf.truncated(data, 0.9)
    if kind == "header-only":
        return hf.header_only(data, 64)
    if kind == "overwritten":
        return hf.overwritten(data)
    if kind == "zero-tail":
        half = len(data) // 2
        return data[:half] + bytes(len(data) - half)
    if kind == "bad-huffman":  # a DHT whose code counts add up to far more than 256
        out = bytearray(data)
        at = jpeg_segment(data, 0xC4)
        out[at + 5 : at + 21] = b"\xff" * 16
        return bytes(out)
    if kind == "bad-scan-header":  # SOS names a component the frame does not have
        out = bytearray(data)
        out[jpeg_segment(data, 0xDA) + 5] = 0x77
        return bytes(out)
    if kind == "zero-size":  # SOF says 0 x 0
        out = bytearray(data)
        at = hf.sof_offset(data)
        out[at + 5 : at + 9] = bytes(4)
        return bytes(out)
    if kind == "bad-frame-header":  # the VP8 key frame's start code is gone
        at = data.index(b"\x9d\x01\x2a")
        return data[:at] + bytes(3) + data[at + 3 :]
    if kind == "bad-idat-crc":
        out = bytearray(data)
        at = data.index(b"IDAT")
        length = int.from_bytes(data[at - 4 : at], "big")
        out[at + 4 + length] ^= 0xFF  # first byte of the IDAT's CRC
        return bytes(out)
    raise AssertionError(kind)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, trap: Listener) -> Lab:
    base = tmp_path_factory.mktemp("hostile")
    LEAKS.extend([str(base), str(tmp_path_factory.getbasetemp())])
    root, outside = base / "root", base / "outside"
    root.mkdir()
    outside.mkdir()
    synth.gradient(64, 48).pngsave(str(root / "ok.png"))
    synth.gradient(64, 48).jpegsave(str(root / "ok.jpg"))
    synth.animation(40, 30, 3).gifsave(str(root / "anim.gif"))

    # Outside the root: what no request may ever read.
    (outside / "secret.png").write_bytes(SECRET)
    (outside / "secret.svg").write_bytes(hf.svg(hf.svg_fragment().decode()))
    (outside / "secret.xml").write_bytes(hf.svg_fragment())
    (outside / "secret.dtd").write_bytes(b"<!ENTITY leak '" + hf.svg_fragment() + b"'>")
    (root / "escape.png").symlink_to(outside / "secret.png")
    (root / "escape-dir").symlink_to(outside)
    (root / "passwd").symlink_to("/etc/passwd")
    (root / "loop.png").symlink_to(root / "loop.png")
    (root / "dir").mkdir()
    synth.gradient(8, 8).pngsave(str(root / "dir" / "in.png"))

    bombs = root / "bombs"
    bombs.mkdir()
    (bombs / "png-50000.png").write_bytes(hf.png_bomb())
    (bombs / "jpeg-65000.jpg").write_bytes(hf.jpeg_bomb())
    (bombs / "webp-16383.webp").write_bytes(hf.webp_bomb())
    (bombs / "gif-2000x250.gif").write_bytes(hf.gif_frames(2000, 250, 250))
    (bombs / "gif-2000x100.gif").write_bytes(hf.gif_frames(2000, 100, 100))
    (bombs / "gif-1x100.gif").write_bytes(hf.gif_frames(1, 100, 100))
    (bombs / "gif-screen.gif").write_bytes(hf.gif_screen_bomb())
    (bombs / "tiff-100000.tif").write_bytes(hf.tiff_bomb())
    (bombs / "svg-100000.svg").write_bytes(hf.svg_bomb())
    with open(bombs / "huge.png", "wb") as sparse:  # 65 MB on paper, nothing on disk
        sparse.write(hf.png_bomb(64, 64))
        sparse.truncate(65 * 1024 * 1024)

    broken_folder = root / "broken"
    broken_folder.mkdir()
    for fmt, data in hf.real_files().items():
        extension = EXTENSIONS.get(fmt, fmt)
        (broken_folder / f"{fmt}-real.{extension}").write_bytes(data)
        for kind in BROKEN_KINDS[fmt]:
            (broken_folder / f"{fmt}-{kind}.{extension}").write_bytes(broken(kind, data))

    lies = root / "lies"
    lies.mkdir()
    (lies / "png-named.jpg").write_bytes(hf.secret_png(20, 10))
    (lies / "text.png").write_bytes(b"just some text, not a picture\n" * 20)
    (lies / "page.gif").write_bytes(b"<!DOCTYPE html><html><body><img src=x></body></html>\n")
    (lies / "table.png").write_bytes(b"".join(b"%d,%d,%d\n" % (i, i, i) for i in range(300)))
    (lies / "matrix.jpg").write_bytes(b"4 2 1 0\n1 2 3 4\n5 6 7 8\n")
    (lies / "netpbm.webp").write_bytes(b"P6\n64 64\n255\n" + b"\x80" * 64 * 64 * 3)
    (lies / "document.png").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    (lies / "native.tif").write_bytes(b"\x08\xf2\xa6\xb6" + bytes(60))  # libvips' own format
    (lies / "empty.png").write_bytes(b"")
    (lies / "magic-only.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (lies / "svg-named.png").write_bytes(hf.svg_plain())
    (lies / "shell.jpg").write_bytes(b"\xff\xd8\xff#!/bin/sh\nrm -rf /\n")

    svgs = root / "svg"
    svgs.mkdir()
    trap_url = f"http://127.0.0.1:{trap.port}/secret.png"
    documents = {
        "plain.svg": hf.svg_plain(),
        "script.svg": hf.svg_script(),
        "xxe.svg": hf.svg_xxe(outside / "secret.xml"),
        "xxe-parameter.svg": hf.svg_xxe_parameter(outside / "secret.dtd"),
        "image-file.svg": hf.svg_image_href(f"file://{outside / 'secret.png'}"),
        "image-path.svg": hf.svg_image_href(str(outside / "secret.png")),
        "image-relative.svg": hf.svg_image_href("escape.png"),
        "image-http.svg": hf.svg_image_href(trap_url),
        "image-data.svg": hf.svg_image_href(hf.data_uri(SECRET)),
        "use-file.svg": hf.svg_use_href(f"file://{outside / 'secret.svg'}"),
        "xinclude.svg": hf.svg_xinclude(f"file://{outside / 'secret.svg'}"),
        "css-import.svg": hf.svg_css_import(f"http://127.0.0.1:{trap.port}/style.css"),
    }
    for name, data in documents.items():
        (svgs / name).write_bytes(data)
    return Lab(root, outside, trap)


def start_target(lab: Lab, work: Path, **sections) -> Target:
    config = fs_config(lab.root, work / "store", security=SECURITY, **sections)
    return Target(inprocess.start_app(config, work))


@pytest.fixture(scope="module")
def main(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The deployment under attack: a key, default limits otherwise."""
    before = vm_rss(os.getpid())
    target = start_target(lab, tmp_path_factory.mktemp("main"))
    MAIN_BASELINE.append(before)
    yield target
    try:
        # After every case of the module that used it: within bounds (and, closing, it
        # still serves).
        assert vm_rss(os.getpid()) - before < RSS_GROWTH_BYTES, (before, vm_rss(os.getpid()))
    finally:
        target.close()


@pytest.fixture
def svg_server(lab: Lab, tmp_path: Path) -> Iterator[Target]:
    """SVG sources on, and a lowered `max_source_pixels`.

    A new application for each test: whether libvips' SVG loader is blocked is the state of
    the process, set by each application built (`fitter.engine.setup`), so an application
    without SVG built after this one would turn SVG off for it too. Function-scoped, this one
    is built after the test's module-scoped applications, and its setting holds.
    """
    target = start_target(lab, tmp_path, limits={"svg": True, "max_source_pixels": LOWERED_PIXELS})
    yield target
    target.close()


# Every spelling of a local address: each is in the allow-list (so the allow-list lets it
# pass), none in allow_ranges (so the guard must refuse it). Requests go to the trap's port.
LOCAL_HOSTS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST",
    "127.0.0.2",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0x7f.1",
    "0x7f.0.0.1",
    "017700000001",
    "127.0.0.1.",
    "0.0.0.0",
    "0",
    "[::]",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
]
# Internal but not on this machine: the guard refuses them before any connection.
INTERNAL_HOSTS = [
    "169.254.169.254",
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "2852039166",
    "0xa9.0xfe.0xa9.0xfe",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.1",
    "192.168.0.1",
    "192.168.1.254",
    "100.64.0.1",
    "100.127.255.254",
    "224.0.0.1",
    "255.255.255.255",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fe80::1]",
    "[ff02::1]",
]


def local_url(host: str, port: int, path: str = "a.png") -> str:
    return f"http://{host}:{port}/{path}"


def internal_url(host: str, path: str = "latest/meta-data/") -> str:
    return f"http://{host}/{path}"


@pytest.fixture(scope="module")
def ssrf_server(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    allow = [local_url(h, lab.trap.port, "") for h in LOCAL_HOSTS]
    allow += [internal_url(h, "") for h in INTERNAL_HOSTS]
    target = start_target(
        lab,
        tmp_path_factory.mktemp("ssrf"),
        sources={"http": {"allow": allow, "connect_timeout": 1, "read_timeout": 2}},
    )
    yield target
    target.close()


@dataclass
class Redirecting:
    target: Target
    origin: Listener


REDIRECTS = {
    "/to-metadata": "http://169.254.169.254/latest/meta-data/",
    "/to-mapped-metadata": "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "/to-scheme-relative": "//169.254.169.254/latest/meta-data/",
    "/to-private": "http://10.0.0.1/a.png",
    "/to-v6-loopback": "http://[::1]:{trap}/a.png",
    "/to-zero": "http://0.0.0.0:{trap}/a.png",
    "/to-other-loopback": "http://127.0.0.2:{trap}/a.png",
    "/to-decimal-other": "http://2130706434:{trap}/a.png",
    "/to-unlisted": "http://127.0.0.1:{trap}/a.png",
    "/to-file": "file:///etc/passwd",
    "/to-ftp": "ftp://127.0.0.1:{trap}/a.png",
    "/to-userinfo": "http://user:secret@127.0.0.1:{origin}/ok.png",
    "/to-dotdot": "/%2e%2e/%2e%2e/a.png",
}


@pytest.fixture(scope="module")
def redirect_server(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redirecting]:
    """Loopback 127.0.0.1 is let through (allow_ranges), so an origin there is fetched; its
    redirects lead elsewhere, and each hop must be checked again."""
    origin = Listener(("127.0.0.1",))
    origin.routes["/ok.png"] = (200, {"Content-Type": "image/png"}, hf.secret_png(12, 8))
    for route, location in REDIRECTS.items():
        where = location.format(trap=lab.trap.port, origin=origin.port)
        origin.routes[route] = (302, {"Location": where}, b"")
    origin.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    allow = [
        f"http://127.0.0.1:{origin.port}/",
        "http://169.254.169.254/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/",
        f"http://[::1]:{lab.trap.port}/",
        f"http://0.0.0.0:{lab.trap.port}/",
        f"http://127.0.0.2:{lab.trap.port}/",
        f"http://2130706434:{lab.trap.port}/",
    ]
    target = start_target(
        lab,
        tmp_path_factory.mktemp("redirect"),
        sources={
            "http": {
                "allow": allow,
                "allow_ranges": ["127.0.0.1/32"],
                "connect_timeout": 1,
                "read_timeout": 2,
                "max_redirects": 3,
            }
        },
    )
    yield Redirecting(target, origin)
    target.close()
    origin.close()


# ==========================================================================================
# Path traversal
# ==========================================================================================

TRAVERSALS = [
    # (raw query value of `path`, status)
    ("..", 400),
    ("../", 400),
    ("../outside/secret.png", 400),
    ("a/../../x", 400),
    ("dir/../ok.png", 400),
    ("ok.png/..", 400),
    ("%2e%2e", 400),
    ("%2e%2e%2f", 400),
    ("%2e%2e%2foutside%2fsecret.png", 400),
    ("%2E%2E/outside/secret.png", 400),
    ("..%2f..%2f..%2fetc%2fpasswd", 400),
    ("%252e%252e%252foutside%252fsecret.png", 404),  # one decoding: a name, not a way up
    ("%25252e%25252e%25252f", 404),
    ("..%5coutside%5csecret.png", 400),
    ("%5c..%5c..%5cetc%5cpasswd", 400),
    ("dir%5cin.png", 400),
    ("%2fetc%2fpasswd", 404),  # absolute: the leading slash is dropped
    ("/etc/passwd", 404),
    ("//etc/passwd", 404),
    ("///..//etc/passwd", 400),
    ("ok.png%00.jpg", 400),
    ("%00", 400),
    ("..%00/", 400),
    ("ok.png%0a", 400),
    ("%c0%ae%c0%ae/outside/secret.png", 404),  # overlong UTF-8 is not a dot
    ("%ef%bc%8e%ef%bc%8e/outside/secret.png", 404),  # full-width dots are not dots
    (".../outside/secret.png", 404),
    ("~/.ssh/id_rsa", 404),
    ("escape.png", 404),  # a symlink out of the root
    ("escape-dir/secret.png", 404),
    ("passwd", 404),
    ("loop.png", 404),
    ("dir", 404),  # a directory
    ("dir/", 404),
    (".", 400),
    ("", 400),
    ("file:///etc/passwd", 404),  # not http(s): a relative name, which does not exist
    ("file:%2f%2f%2fetc%2fpasswd", 404),
    ("a" * 10_000, 404),  # longer than any file name: no such file
    ("a/" * 5_000 + "ok.png", 404),
]


@pytest.mark.parametrize(
    ("raw", "status"),
    [pytest.param(raw, status, id=raw[:40] or "empty") for raw, status in TRAVERSALS],
)
def test_path_traversal(main: Target, lab: Lab, raw: str, status: int) -> None:
    answer = main.get("/image", f"path={raw}&width=10")
    assert_error(answer, status, {"path"}, secrets=(str(lab.outside),))


@pytest.mark.parametrize("endpoint", ["/get", "/show", "/redirect", "/info"])
@pytest.mark.parametrize(
    ("raw", "status"), [("..%2fok.png", 400), ("escape.png", 404), ("dir", 404)]
)
def test_path_traversal_on_every_endpoint(main: Target, endpoint: str, raw: str, status: int):
    answer = main.get(endpoint, f"path={raw}" + ("" if endpoint == "/info" else "&width=10"))
    assert_error(answer, status, {"path"})


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("..%2f..%2fetc%2fpasswd", 400),
        ("%2e%2e/%2e%2e/etc/passwd", 400),
        ("..%5c..%5cetc%5cpasswd", 400),
        ("ok.png", 404),  # an original, not a variant
        ("escape.png", 404),
        ("%00", 400),
    ],
)
def test_store_route_stays_in_the_store(main: Target, name: str, status: int) -> None:
    answer = main.fetch(f"/store/{name}")
    assert_error(answer, status, {"name"})


# ==========================================================================================
# Malformed parameters
# ==========================================================================================

TEN_KB = "9" * 10_240
MALFORMED = [
    # (query after path=ok.png, status, params named)
    ("width=-1", {"width"}),
    ("height=-5", {"height"}),
    ("quality=-50&width=10", {"quality"}),
    ("mode=crop&x=-1&y=0&width=5&height=5", {"x"}),
    ("mode=crop&x=0&y=-1&width=5&height=5", {"y"}),
    ("width=8193", {"width"}),
    ("height=8193", {"height"}),
    ("width=999999999", {"width"}),
    ("width=9999999999", {"width"}),
    ("height=99999999999999999999999999", {"height"}),
    ("quality=101&width=10", {"quality"}),
    ("quality=0&width=10", {"quality"}),
    ("quality=1000000000000&width=10", {"quality"}),
    ("mode=crop&x=100000&y=0&width=5&height=5", {"x"}),
    ("mode=crop&x=0&y=9999999999&width=5&height=5", {"y"}),
    ("mode=rotate&degree=99999999999", {"degree"}),
    ("mode=rotate&degree=1e308", {"degree"}),
    ("mode=rotate&degree=nan", {"degree"}),
    ("mode=rotate&degree=inf", {"degree"}),
    ("width=10.5", {"width"}),
    ("height=1e3", {"height"}),
    ("quality=80.0&width=10", {"quality"}),
    ("width=0x10", {"width"}),
    ("width=%2b10", {"width"}),
    ("width=1_000", {"width"}),
    ("width=%2010", {"width"}),
    ("width=10%20", {"width"}),
    ("width=", {"width"}),
    ("width", {"width"}),
    ("height=", {"height"}),
    ("mode=", {"mode"}),
    ("fit=&width=10", {"fit"}),
    ("gravity=&width=10", {"gravity"}),
    ("format=&width=10", {"format"}),
    ("quality=&width=10", {"quality"}),
    ("upscale=&width=10", {"upscale"}),
    ("background=&width=10", {"background"}),
    ("mode=flip&direction=", {"direction"}),
    ("mode=rotate&degree=", {"degree"}),
    ("mode=shrink&width=10", {"mode"}),
    ("mode=THUMBNAIL%00&width=10", {"mode"}),
    ("format=bmp&width=10", {"format"}),
    ("format=tiff&width=10", {"format"}),
    ("format=svg&width=10", {"format"}),
    ("format=..%2f..%2fetc&width=10", {"format"}),
    ("gravity=up&width=10", {"gravity"}),
    ("fit=squash&width=10", {"fit"}),
    ("mode=flip&direction=diagonal", {"direction"}),
    ("upscale=maybe&width=10", {"upscale"}),
    ("background=notacolour&width=10", {"background"}),
    ("background=%2312345&width=10", {"background"}),
    ("preset=nonesuch&width=10", {"preset"}),
    ("width=10&width=10", {"width"}),
    ("width=10&width=20", {"width"}),
    ("w=10&width=10", {"width"}),
    ("width=10&w=20", {"w"}),
    ("h=10&height=10", {"height"}),
    ("format=png&format=jpg&width=10", {"format"}),
    ("width=10&path=a.png", {"path"}),
    ("mode=thumbnail&mode=resize&width=10", {"mode"}),
    (f"width={TEN_KB}", {"width"}),
    (f"mode={'x' * 10_240}", {"mode"}),
    (f"format={'p' * 10_240}&width=10", {"format"}),
    (f"background={'f' * 10_240}&width=10", {"background"}),
    (f"quality={TEN_KB}&width=10", {"quality"}),
    (f"mode=rotate&degree={TEN_KB}", {"degree"}),
    ("width=%d9%a1%d9%a2", {"width"}),  # Arabic-Indic digits
    ("width=%ef%bc%91%ef%bc%90", {"width"}),  # full-width digits
    ("height=%e0%a5%a7%e0%a5%a6", {"height"}),  # Devanagari digits
    ("quality=%c2%b9&width=10", {"quality"}),  # superscript one
    ("width=10%00", {"width"}),
    ("width=1%0a0", {"width"}),
    ("mode=%1b%5b31m&width=10", {"mode"}),
    ("format=png%0d%0aSet-Cookie:x=1&width=10", {"format"}),
    ("gravity=%7f&width=10", {"gravity"}),
    ("width=10&colour=red", {"colour"}),
    ("width=10&%00=1", {"\x00"}),
    ("width=10&=1", {""}),
    ("width=10&WIDTH=10", {"WIDTH"}),
    ("width=10&sig2=x", {"sig2"}),
    ("mode=crop&width=10", {"height"}),
    ("mode=crop&x=1&width=10&height=10", {"y"}),
    ("mode=flip", {"direction"}),
    ("mode=rotate", {"degree"}),
    ("mode=resize", {"width"}),
    ("width=0&height=0", {"width"}),
]


@pytest.mark.parametrize(
    ("rest", "params"),
    [pytest.param(rest, params, id=rest[:48]) for rest, params in MALFORMED],
)
def test_malformed_parameters(main: Target, rest: str, params: set[str]) -> None:
    answer = main.get("/image", f"path=ok.png&{rest}")
    errors = assert_error(answer, 400, params)
    # A huge value is never echoed whole.
    assert len(answer.content) < 4096, answer.content[:200]
    assert all(len(e["message"]) < 400 for e in errors)


def test_an_unknown_parameter_with_a_huge_name_is_400(main: Target) -> None:
    answer = main.get("/image", f"path=ok.png&width=10&{'n' * 10_240}=1")
    errors = assert_error(answer, 400)
    assert all(len(e["message"]) < 400 for e in errors)


def test_every_problem_comes_back_at_once(main: Target) -> None:
    answer = main.get("/image", "path=ok.png&width=-1&quality=0&mode=flip")
    assert_error(answer, 400, {"width", "quality", "direction"})
    many = main.get(
        "/image",
        "path=..%2fx&width=abc&height=1.5&fit=squash&gravity=up&format=bmp&quality=101"
        "&upscale=maybe&background=nocolour&colour=red&w=3",
    )
    errors = assert_error(
        many,
        400,
        {
            "path",
            "width",
            "height",
            "fit",
            "gravity",
            "format",
            "quality",
            "upscale",
            "background",
            "colour",
            "w",
        },
    )
    assert len(errors) == 11, errors


def test_a_valid_request_is_served(main: Target) -> None:
    """The control: the same server, a well-formed signed request."""
    answer = main.get("/image", "path=ok.png&width=10&format=png")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "image/png"


# ==========================================================================================
# Decompression bombs: refused from the header, fast, without memory
# ==========================================================================================

BOMBS = [
    # (query, status): every one is a few KB on disk and billions of pixels on paper
    ("path=bombs/png-50000.png&width=100", 422),
    ("path=bombs/png-50000.png&mode=crop&x=0&y=0&width=10&height=10", 422),
    ("path=bombs/png-50000.png&mode=rotate&degree=90", 422),
    ("path=bombs/jpeg-65000.jpg&width=100", 422),
    ("path=bombs/jpeg-65000.jpg&mode=flip&direction=h", 422),
    ("path=bombs/webp-16383.webp&width=100", 422),
    ("path=bombs/webp-16383.webp&width=100&format=gif", 422),
    ("path=bombs/gif-2000x250.gif&width=100", 422),
    ("path=bombs/gif-2000x250.gif&width=100&format=webp", 422),
    ("path=bombs/gif-screen.gif&width=100", 422),
    ("path=bombs/tiff-100000.tif&width=100", 422),
    ("path=bombs/tiff-100000.tif&mode=crop&x=0&y=0&width=1&height=1", 422),
    ("path=bombs/svg-100000.svg&width=100", 415),  # svg is off by default
    ("path=bombs/huge.png&width=100", 413),  # over max_source_bytes
]


@pytest.mark.parametrize("endpoint", ["/image", "/get", "/show"])
@pytest.mark.parametrize(("query", "status"), BOMBS, ids=[q[5:40] for q, _ in BOMBS])
def test_bombs_are_refused_from_the_header(main: Target, endpoint: str, query: str, status: int):
    started = time.monotonic()
    answer = main.get(endpoint, query)
    elapsed = time.monotonic() - started
    assert_error(answer, status, {"path"})
    assert elapsed < BOMB_SECONDS, f"{elapsed:.1f} s"


def test_bombs_do_not_grow_memory(main: Target) -> None:
    """Every bomb again, several times, on all endpoints: the resident memory of the process
    answering (this one) barely moves (decoding any of them would take gigabytes)."""
    pid = os.getpid()
    before = vm_rss(pid)
    for _ in range(3):
        for query, status in BOMBS:
            for endpoint in ("/image", "/redirect"):
                started = time.monotonic()
                answer = main.get(endpoint, query)
                assert answer.status_code == status, (query, answer.text[:300])
                assert time.monotonic() - started < BOMB_SECONDS
    after = vm_rss(pid)
    assert after - before < RSS_JUMP_BYTES, (before, after)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("path=bombs/svg-100000.svg&width=100", 422),
        ("path=bombs/gif-2000x100.gif&width=50", 422),  # 20 M pixels in frames, over 5 M
        ("path=bombs/gif-2000x100.gif&width=50&format=gif", 422),
        ("path=bombs/png-50000.png&width=100", 422),
    ],
)
def test_bombs_under_a_lowered_pixel_limit(svg_server: Target, query: str, status: int):
    started = time.monotonic()
    answer = svg_server.get("/image", query)
    assert_error(answer, status, {"path"})
    assert time.monotonic() - started < BOMB_SECONDS


def test_frames_count_towards_the_pixel_limit(svg_server: Target) -> None:
    """The control for the frames bomb: one frame of the same size is served."""
    answer = svg_server.get("/image", "path=bombs/gif-1x100.gif&width=50&format=png")
    assert answer.status_code == 200, answer.text[:300]


# ==========================================================================================
# Truncated and corrupted files of every format
# ==========================================================================================

BROKEN = [
    f"broken/{fmt}-{kind}.{EXTENSIONS.get(fmt, fmt)}"
    for fmt, kinds in BROKEN_KINDS.items()
    for kind in kinds
]


def output_for(path: str) -> str:
    """png, or gif for animations: every frame is then decoded, the broken ones too."""
    return "gif" if path.startswith("broken/animation") else "png"


@pytest.mark.parametrize("path", BROKEN, ids=[p[7:] for p in BROKEN])
def test_broken_files_are_not_images(main: Target, path: str) -> None:
    query = [("path", path), ("width", "50"), ("format", output_for(path))]
    assert_error(main.get("/image", query), 415, {"path"})


@pytest.mark.parametrize("fmt", list(BROKEN_KINDS))
def test_the_unbroken_originals_are_served(main: Target, fmt: str) -> None:
    """The control: each broken file's intact original decodes."""
    path = f"broken/{fmt}-real.{EXTENSIONS.get(fmt, fmt)}"
    answer = main.get("/image", [("path", path), ("width", "50"), ("format", output_for(path))])
    assert answer.status_code == 200, answer.text[:300]


# ==========================================================================================
# Files whose name lies about their type
# ==========================================================================================


def test_a_png_named_jpg_is_read_as_png(main: Target) -> None:
    info = main.get("/info", "path=lies/png-named.jpg")
    assert info.status_code == 200, info.text[:300]
    assert info.json()["format"] == "png"
    assert (info.json()["width"], info.json()["height"]) == (20, 10)
    image = main.get("/image", "path=lies/png-named.jpg&width=10&format=png")
    assert image.status_code == 200
    assert has_colour(image.content, hf.SECRET_RGB)


LIARS = [
    "lies/text.png",
    "lies/page.gif",
    "lies/table.png",
    "lies/matrix.jpg",
    "lies/netpbm.webp",
    "lies/document.png",
    "lies/native.tif",
    "lies/empty.png",
    "lies/magic-only.png",
    "lies/svg-named.png",
    "lies/shell.jpg",
]


@pytest.mark.parametrize("endpoint", ["/image", "/info"])
@pytest.mark.parametrize("path", LIARS, ids=[p[5:] for p in LIARS])
def test_files_that_are_not_images_are_415(main: Target, endpoint: str, path: str) -> None:
    query = [("path", path)] + ([("width", "10")] if endpoint == "/image" else [])
    assert_error(main.get(endpoint, query), 415, {"path"})


# ==========================================================================================
# SVG: off by default; when on, no script and no outside file or URL
# ==========================================================================================

SVGS = [
    "svg/plain.svg",
    "svg/script.svg",
    "svg/xxe.svg",
    "svg/xxe-parameter.svg",
    "svg/image-file.svg",
    "svg/image-path.svg",
    "svg/image-http.svg",
    "svg/image-data.svg",
    "svg/image-relative.svg",
    "svg/use-file.svg",
    "svg/xinclude.svg",
    "svg/css-import.svg",
]


@pytest.mark.parametrize("path", SVGS, ids=[p[4:] for p in SVGS])
def test_svg_is_refused_while_disabled(main: Target, lab: Lab, path: str) -> None:
    assert_error(main.get("/image", [("path", path), ("width", "32")]), 415, {"path"})
    assert lab.trap.total == 0, lab.trap.hits


def test_a_plain_svg_renders_when_enabled(svg_server: Target) -> None:
    answer = svg_server.get("/image", "path=svg/plain.svg&width=32&format=png")
    assert answer.status_code == 200, answer.text[:300]
    assert has_colour(answer.content, (0, 160, 0))
    assert not has_colour(answer.content, hf.SECRET_RGB)


def test_an_embedded_image_is_drawn(svg_server: Target) -> None:
    """The control for the cases below: the secret picture, given inline as a data: URI,
    does show (so an outside file that was read would be seen)."""
    answer = svg_server.get("/image", "path=svg/image-data.svg&width=32&format=png")
    assert answer.status_code == 200, answer.text[:300]
    assert has_colour(answer.content, hf.SECRET_RGB)


# Documents that reach for a file outside the root or a URL: rendered without it (green,
# never magenta), or refused. (path, status)
REACHING = [
    ("svg/script.svg", 200),
    ("svg/xxe.svg", 415),  # librsvg refuses the document
    ("svg/xxe-parameter.svg", 415),
    ("svg/image-file.svg", 200),
    ("svg/image-path.svg", 200),
    ("svg/image-http.svg", 200),
    ("svg/image-relative.svg", 200),
    ("svg/use-file.svg", 200),
    ("svg/xinclude.svg", 200),
    ("svg/css-import.svg", 200),
]


@pytest.mark.parametrize(("path", "status"), REACHING, ids=[p[4:] for p, _ in REACHING])
def test_svg_reads_nothing_outside(svg_server: Target, lab: Lab, path: str, status: int) -> None:
    answer = svg_server.get("/image", [("path", path), ("width", "32"), ("format", "png")])
    if status == 200:
        assert answer.status_code == 200, answer.text[:300]
        assert not has_colour(answer.content, hf.SECRET_RGB), "the outside file was read"
        assert has_colour(answer.content, (0, 160, 0))
    else:
        assert_error(answer, status, {"path"})
    assert lab.trap.total == 0, lab.trap.hits


# ==========================================================================================
# SSRF
# ==========================================================================================


def test_http_sources_are_off_by_default(main: Target, lab: Lab) -> None:
    for url in (local_url("127.0.0.1", lab.trap.port), "https://example.com/a.png"):
        assert_error(main.get("/image", [("path", url), ("width", "10")]), 403, {"path"})
    assert lab.trap.total == 0


@pytest.mark.parametrize("host", LOCAL_HOSTS)
def test_every_spelling_of_a_local_address_is_refused(
    ssrf_server: Target, lab: Lab, host: str
) -> None:
    url = local_url(host, lab.trap.port)
    refused_by_guard(url)
    errors = assert_error(ssrf_server.get("/image", [("path", url), ("width", "10")]), 403)
    assert errors == [{"param": "path", "message": ssrf.REFUSED}], errors
    assert lab.trap.total == 0, lab.trap.hits


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_internal_addresses_are_refused_before_connecting(
    ssrf_server: Target, lab: Lab, host: str
) -> None:
    url = internal_url(host)
    refused_by_guard(url)
    started = time.monotonic()
    errors = assert_error(ssrf_server.get("/image", [("path", url), ("width", "10")]), 403)
    # The guard's own refusal (not the allow-list's, not a failed connection).
    assert errors == [{"param": "path", "message": ssrf.REFUSED}], errors
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("http://user:pass@127.0.0.1:{trap}/a.png", 403),
        ("http://127.0.0.1:{trap}@169.254.169.254/a.png", 403),
        ("http://user@[::1]:{trap}/a.png", 403),
        ("http://169.254.169.254#@127.0.0.1:{trap}/a.png", 403),
        ("http://127.0.0.1:{trap}/%2e%2e/a.png", 403),
        ("http://127.0.0.1:{trap}/x/../a.png", 403),
        ("http://127.0.0.1:{trap}/x/..%5c..%5ca.png", 403),
        ("http://0177.0.0.1:{trap}/a.png", 403),
        ("http://127.0.0.1:{trap}/a.png\t", 400),  # a control character in a URL
        ("http://127.0.0.1:{trap}/a b.png", 400),
        ("https://127.0.0.1:{trap}/a.png", 403),  # not an allowed prefix
        ("http://[::1]/a.png", 403),
        ("ftp://127.0.0.1:{trap}/a.png", 404),  # not http(s): a relative name, not a URL
        ("gopher://127.0.0.1:{trap}/_GET", 404),
        ("file:///etc/passwd", 404),
        ("dict://127.0.0.1:{trap}/info", 404),
    ],
)
def test_urls_that_may_not_be_fetched(ssrf_server: Target, lab: Lab, url: str, status: int):
    url = url.format(trap=lab.trap.port)
    assert_error(ssrf_server.get("/image", [("path", url), ("width", "10")]), status, {"path"})
    assert lab.trap.total == 0, lab.trap.hits


def test_an_allowed_origin_is_fetched(redirect_server: Redirecting) -> None:
    """The control: the redirect server does fetch from its origin."""
    url = f"http://127.0.0.1:{redirect_server.origin.port}/ok.png"
    answer = redirect_server.target.get("/image", [("path", url), ("width", "6")])
    assert answer.status_code == 200, answer.text[:300]


@pytest.mark.parametrize(
    ("route", "status"),
    [
        ("/to-metadata", 403),
        ("/to-mapped-metadata", 403),
        ("/to-scheme-relative", 403),
        ("/to-private", 403),
        ("/to-v6-loopback", 403),
        ("/to-zero", 403),
        ("/to-other-loopback", 403),
        ("/to-decimal-other", 403),
        ("/to-unlisted", 403),
        ("/to-file", 403),
        ("/to-ftp", 403),
        ("/to-userinfo", 403),
        ("/to-dotdot", 403),
        ("/loop", 502),
    ],
)
def test_redirects_to_forbidden_places(
    redirect_server: Redirecting, lab: Lab, route: str, status: int
) -> None:
    location = REDIRECTS.get(route, "")
    if location.startswith(("http://", "//")) and "{" not in location:
        absolute = "http:" + location if location.startswith("//") else location
        refused_by_guard(absolute, ("127.0.0.1/32",))
    url = f"http://127.0.0.1:{redirect_server.origin.port}{route}"
    answer = redirect_server.target.get("/image", [("path", url), ("width", "6")])
    assert_error(answer, status, {"path"})
    assert redirect_server.origin.hits[route] >= 1
    assert lab.trap.total == 0, lab.trap.hits


# ==========================================================================================
# Signatures
# ==========================================================================================

GOOD = "path=ok.png&width=10"


def signature(query: str, endpoint: str = "/image", key: str = KEY) -> str:
    return sign_url(f"{endpoint}?{query}", key).rsplit("sig=", 1)[1]


def swapcase(text: str) -> str:
    return text.swapcase() if text.swapcase() != text else text + "x"


SIGNATURES = [
    ("missing", lambda: GOOD),
    ("bad", lambda: GOOD + "&sig=" + "A" * 43),
    ("truncated by one", lambda: GOOD + "&sig=" + signature(GOOD)[:-1]),
    ("truncated to half", lambda: GOOD + "&sig=" + signature(GOOD)[:21]),
    ("empty", lambda: GOOD + "&sig="),
    ("bare name", lambda: GOOD + "&sig"),
    ("padded", lambda: GOOD + "&sig=" + signature(GOOD) + "%3d"),
    ("another case", lambda: GOOD + "&sig=" + swapcase(signature(GOOD))),
    ("another key", lambda: GOOD + "&sig=" + signature(GOOD, key="other-key")),
    ("another width", lambda: "path=ok.png&width=11&sig=" + signature(GOOD)),
    ("another path", lambda: "path=ok.jpg&width=10&sig=" + signature(GOOD)),
    ("w for width", lambda: "path=ok.png&w=10&sig=" + signature(GOOD)),
    ("a parameter added", lambda: GOOD + "&format=png&sig=" + signature(GOOD)),
    ("a parameter removed", lambda: "path=ok.png&sig=" + signature(GOOD)),
    ("a parameter repeated", lambda: GOOD + "&width=10&sig=" + signature(GOOD)),
    ("repeated sig", lambda: GOOD + f"&sig={signature(GOOD)}&sig={signature(GOOD)}"),
    ("repeated sig, one bad", lambda: GOOD + f"&sig={signature(GOOD)}&sig=AAAA"),
    ("10 KB", lambda: GOOD + "&sig=" + "A" * 10_240),
    ("unicode", lambda: GOOD + "&sig=" + quote("é" * 43)),
    ("control characters", lambda: GOOD + "&sig=%00%01%1b" + signature(GOOD)[3:]),
    ("upper-case name", lambda: GOOD + "&SIG=" + signature(GOOD)),
    ("unsigned and malformed", lambda: "path=ok.png&width=-1"),
    ("unsigned and missing", lambda: "path=nothing-here.png&width=10"),
    ("unsigned traversal", lambda: "path=..%2f..%2fetc%2fpasswd&width=10"),
    ("unsigned bomb", lambda: "path=bombs/png-50000.png&width=10"),
]


@pytest.mark.parametrize(("name", "make"), SIGNATURES, ids=[n for n, _ in SIGNATURES])
def test_bad_signatures_are_403(main: Target, name: str, make) -> None:
    answer = main.get("/image", make(), sign=False)
    errors = assert_error(answer, 403, {"sig"})
    assert len(errors) == 1, errors
    if name.startswith("repeated sig"):
        assert "once" in errors[0]["message"]


@pytest.mark.parametrize(
    ("endpoint", "signed_for"),
    [("/get", "/image"), ("/show", "/image"), ("/redirect", "/get"), ("/info", "/image")],
)
def test_a_signature_for_another_endpoint_is_403(main: Target, endpoint: str, signed_for: str):
    query = "path=ok.png" if endpoint == "/info" else GOOD
    answer = main.get(endpoint, query + "&sig=" + signature(query, signed_for), sign=False)
    assert_error(answer, 403, {"sig"})


@pytest.mark.parametrize("endpoint", ["/get", "/show", "/redirect", "/info"])
def test_every_endpoint_needs_a_signature(main: Target, endpoint: str) -> None:
    answer = main.get(endpoint, "path=ok.png" if endpoint == "/info" else GOOD, sign=False)
    assert_error(answer, 403, {"sig"})


# ==========================================================================================
# The parser never fails but with a validation error
# ==========================================================================================

NAMES = [*native.KNOWN, *native.ALIASES]
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"])
    | st.sampled_from("\x00\x1b\t\n\r/\\.%#?&=+- "),
    max_size=40,
)
VALUES = (
    TEXT
    | st.sampled_from(["", "0", "-1", "1e9", "10.5", "nan", "inf", "..", "/", "http://", "#fff"])
    | st.integers(-(10**12), 10**12).map(str)
    | st.sampled_from(["http://127.0.0.1/a.png", "https://[::1]:0/", "http://a@b/", "http://[/"])
    | st.builds(lambda a, b: a + b, st.sampled_from(["http://", "https://", "HTTP://"]), TEXT)
)
ITEMS = st.lists(st.tuples(st.sampled_from(NAMES) | TEXT, VALUES), max_size=12)
RULES = [
    Rules.of(Options(), Limits()),
    Rules(
        max_size=(100, 100),
        presets={"avatar": {"mode": "thumbnail", "width": 32, "height": 32}},
        allowed_sizes=frozenset({(32, 32)}),
        allowed_formats=frozenset({"png"}),
    ),
    Rules(max_size=(8192, 8192), presets={"avatar": {"width": 32}}, presets_only=True),
]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=ITEMS, rules=st.sampled_from(RULES))
def test_the_parser_gives_a_plan_or_a_validation_error(items, rules) -> None:
    try:
        plan = native.parse(items, rules)
    except InvalidRequest as error:
        assert error.status == 400 and error.problems
        assert all(isinstance(p.message, str) and p.message for p in error.problems)
    except FitterError as error:
        assert 400 <= error.status < 500, error
    else:
        assert isinstance(plan, Plan)
        assert plan.path and ".." not in plan.path.split("/")


@settings(max_examples=300, deadline=None)
@given(items=ITEMS)
def test_the_parser_on_a_query_dictionary(items) -> None:
    """The same, for a dictionary as a framework would hand it over (one value a name)."""
    query = dict(items)
    with contextlib.suppress(FitterError):
        native.parse(query.items(), RULES[0])


# ==========================================================================================
# After hostile requests: the same application still serves, in bounded memory
# ==========================================================================================

AFTERMATH = [
    # (endpoint, query, status): one of each kind of case above
    *[("/image", query, status) for query, status in BOMBS],
    ("/image", "path=broken/jpeg-bad-huffman.jpg&width=50&format=png", 415),
    ("/image", "path=broken/animation-overwritten.gif&width=50&format=gif", 415),
    ("/image", "path=lies/native.tif&width=10", 415),
    ("/info", "path=lies/shell.jpg", 415),
    ("/image", "path=..%2f..%2fetc%2fpasswd&width=10", 400),
    ("/image", "path=escape.png&width=10", 404),
    ("/image", f"path=ok.png&width={TEN_KB}", 400),
]


def test_the_application_still_serves_after_hostile_requests(
    main: Target, svg_server: Target, ssrf_server: Target
) -> None:
    """After a round of the cases above (all of them, when the module ran whole), the same
    application answers a normal signed request, and the process stayed within bounds."""
    for endpoint, query, status in AFTERMATH:
        assert main.get(endpoint, query).status_code == status, (endpoint, query)
    answer = main.get("/image", "path=ok.jpg&width=20&format=webp")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "image/webp"
    assert main.get("/info", "path=ok.png").json()["width"] == 64
    grown = vm_rss(os.getpid()) - MAIN_BASELINE[-1]
    assert grown < RSS_GROWTH_BYTES, grown
    for target in (main, svg_server, ssrf_server):
        assert target.http.get("/health").status_code == 200
        assert target.unexpected_errors() == 0
