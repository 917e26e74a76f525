"""Record what thumbor 7.8 really answers for a list of URLs into tests/thumbor/expected.json.

Run from the repository root, with fitter's virtualenv (it has pyvips):

    .venv/bin/python tests/thumbor/record.py

Needs thumbor 7.8 in its own virtualenv at .bench/thumbor-venv (the one `make bench` uses);
another one can be named with THUMBOR_VENV=/path/to/venv. Nothing leaves 127.0.0.1.

What it does:
1. makes the source images (tests/thumbor/make_sources.py) if any is missing;
2. asks thumbor's own libthumbor (run in thumbor's venv) for the URL signatures it needs,
   and for the vectors of tests/thumbor/signatures.json;
3. starts two thumbor servers on free loopback ports, each with a temporary config (file
   loader rooted at tests/thumbor/sources, no storage, no result storage, unsafe URLs
   allowed, SECURITY_KEY fixed, every built-in filter on): "default" keeps thumbor's other
   defaults (RESPECT_ORIENTATION False), "respect_orientation" sets RESPECT_ORIENTATION True;
4. GETs every URL of CASES once: status, Content-Type, Cache-Control, the image's format,
   size, bands, ICC/EXIF presence and a few probe pixels (read with pyvips), and, for 200s,
   thumbor's own /meta answer for the same URL (operations, source and target sizes);
5. writes tests/thumbor/expected.json (cases sorted by config then URL) and
   tests/thumbor/signatures.json, then stops both servers by their pid.

Nothing of thumbor is imported here: this script is a test tool, and fitter's code must not
depend on (or copy) thumbor.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyvips

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOURCES = HERE / "sources"
EXPECTED = HERE / "expected.json"
SIGNATURES = HERE / "signatures.json"
VENV = Path(os.environ.get("THUMBOR_VENV", ROOT / ".bench" / "thumbor-venv"))
HOST = "127.0.0.1"
SECURITY_KEY = "fitter-thumbor-fixture-key"
START_SECONDS = 60.0

# thumbor's BUILTIN_FILTERS (thumbor/filters/__init__.py), listed so that every filter is on
# whatever the installed default is.
FILTERS = [
    "thumbor.filters.brightness",
    "thumbor.filters.colorize",
    "thumbor.filters.contrast",
    "thumbor.filters.rgb",
    "thumbor.filters.round_corner",
    "thumbor.filters.quality",
    "thumbor.filters.noise",
    "thumbor.filters.watermark",
    "thumbor.filters.equalize",
    "thumbor.filters.fill",
    "thumbor.filters.sharpen",
    "thumbor.filters.strip_exif",
    "thumbor.filters.strip_icc",
    "thumbor.filters.frame",
    "thumbor.filters.grayscale",
    "thumbor.filters.rotate",
    "thumbor.filters.format",
    "thumbor.filters.max_bytes",
    "thumbor.filters.convolution",
    "thumbor.filters.blur",
    "thumbor.filters.extract_focal",
    "thumbor.filters.focal",
    "thumbor.filters.no_upscale",
    "thumbor.filters.saturation",
    "thumbor.filters.max_age",
    "thumbor.filters.curve",
    "thumbor.filters.background_color",
    "thumbor.filters.upscale",
    "thumbor.filters.proportion",
    "thumbor.filters.stretch",
]

BASE_CONFIG = {
    "LOADER": "thumbor.loaders.file_loader",
    "FILE_LOADER_ROOT_PATH": str(SOURCES),
    "STORAGE": "thumbor.storages.no_storage",
    "RESULT_STORAGE": None,
    "ALLOW_UNSAFE_URL": True,
    "SECURITY_KEY": SECURITY_KEY,
    "FILTERS": FILTERS,
    # Without a timestamp, so the lines kept in "log" are stable.
    "THUMBOR_LOG_FORMAT": "%(levelname)s %(name)s %(message)s",
}
CONFIGS = {
    "default": {},
    "respect_orientation": {"RESPECT_ORIENTATION": True},
}

L, P, S, R, F, W = (
    "landscape.jpg",  # 400x300 JPEG, ICC + EXIF, bright blob at (300, 90)
    "portrait.png",  # 300x400 RGBA, transparent 20 px border
    "square.png",  # 256x256 RGB PNG
    "rotated.jpg",  # stored 200x100, EXIF orientation 6
    "framed.png",  # 200x150, for trim
    "watermark.png",  # 64x32 RGBA
)
WM = f"watermark({W}"


@dataclass(frozen=True)
class Case:
    group: str
    url: str  # the path asked; "{sig}" is replaced by thumbor's signature of what follows
    note: str = ""
    config: str = "default"
    key: str = SECURITY_KEY  # the key the signature is made with


def cases() -> list[Case]:
    c: list[Case] = []

    def add(group: str, path: str, note: str = "", config: str = "default") -> None:
        c.append(Case(group, "/unsafe/" + path, note, config))

    # --- sizes ------------------------------------------------------------------------------
    for size in [
        "",
        "200x150/",
        "200x100/",
        "100x200/",
        "300x0/",
        "0x150/",
        "0x0/",
        "200x/",
        "x150/",
        "origx100/",
        "100xorig/",
        "origxorig/",
        "1x1/",
        "1x300/",
        "10x10/",
        "800x600/",
        "800x0/",
        "0x600/",
        "1000x100/",
        "399x299/",
        "401x300/",
    ]:
        add("size", size + L)
    add("size", "origx0/" + L, "width 'orig' + height 0: proportional height of 'orig' fails")
    add("size", "300x0/" + P)
    add("size", "0x100/" + P)
    add("size", "100x100/" + S)
    add("size", "100x50/" + S)
    add("size", "333x0/" + L, "proportional height 249.75 -> rounded")
    add("size", "0x77/" + L, "proportional width 102.67 -> rounded")
    add("size", "150x113/" + L, "ratio 1.33 == 1.33 after round(.,2): no crop, plain resize")
    add("size", "150x110/" + L, "ratio 1.36 != 1.33: crop then resize")

    # --- flips -----------------------------------------------------------------------------
    for size in [
        "-200x150/",
        "200x-150/",
        "-200x-150/",
        "-0x0/",
        "0x-0/",
        "-0x-0/",
        "-x-/",
        "-300x0/",
        "0x-150/",
        "-100x200/",
        "-origx-orig/",
        "-800x-600/",
    ]:
        add("flip", size + L)
    add("flip", "fit-in/-200x-200/" + L)
    add("flip", "-100x-100/" + P)

    # --- fit-in family ----------------------------------------------------------------------
    for size in [
        "200x200/",
        "200x0/",
        "0x100/",
        "800x800/",
        "800x100/",
        "origx100/",
        "100xorig/",
        "0x0/",
        "150x150/",
        "199x199/",
        "201x151/",
        "400x300/",
        "200x150/",
        "x100/",
    ]:
        add("fit-in", "fit-in/" + size + L)
    add("fit-in", "fit-in/150x150/" + P, "300x400 into 150x150: width 112.5 -> 113")
    add("fit-in", "fit-in/1000x1000/" + P)
    for size in ["200x200/", "800x800/", "100x10/", "200x0/", "0x0/"]:
        add("fit-in", "full-fit-in/" + size + L)
    for size in ["200x300/", "300x200/", "100x800/", "800x100/"]:
        add("fit-in", "adaptive-fit-in/" + size + L)
    add("fit-in", "adaptive-fit-in/300x200/" + P)
    for size in ["200x300/", "300x200/"]:
        add("fit-in", "adaptive-full-fit-in/" + size + L)
    add("fit-in", "fit-in/left/top/200x200/" + L, "alignment before size does not parse")
    add("fit-in", "fit-in/200x200/left/top/" + L, "alignment is ignored by fit-in")

    # --- alignment --------------------------------------------------------------------------
    for align in ["left/", "center/", "right/"]:
        add("align", "100x200/" + align + L)
    for align in ["top/", "middle/", "bottom/"]:
        add("align", "200x50/" + align + L)
    for align in ["left/top/", "right/bottom/", "center/middle/", "right/top/"]:
        add("align", "100x100/" + align + L)
    add("align", "left/top/" + L, "alignment without a size: nothing to crop")
    add("align", "100x100/top/left/" + L, "valign before halign does not parse")
    add("align", "100x100/bottom/" + P)

    # --- smart and focal --------------------------------------------------------------------
    add("smart", "100x200/smart/" + L, "DETECTORS is [] by default: smart changes nothing")
    add("smart", "200x50/smart/" + L)
    add(
        "smart",
        "100x200/filters:focal(280x70:320x110)/" + L,
        "focal box centred on the blob (300,90)",
    )
    add("smart", "100x200/smart/filters:focal(280x70:320x110)/" + L)
    add("smart", "200x50/filters:focal(280x70:320x110)/" + L)
    add("smart", "100x100/filters:focal(0x0:40x40)/" + L)
    add("smart", "100x200/filters:focal(280x70:280x110)/" + L, "zero-width focal box is ignored")
    add("smart", "100x200/filters:focal(300x90)/" + L, "a point, not a box: ignored")
    add("smart", "100x200/right/filters:focal(0x0:40x40)/" + L, "focal wins over alignment")
    add(
        "smart",
        "50x50:350x250/100x200/filters:focal(280x70:320x110)/" + L,
        "focal point is shifted by the manual crop",
    )
    add(
        "smart",
        "0x0:200x300/100x200/filters:focal(280x70:320x110)/" + L,
        "focal point outside the manual crop is dropped: falls back to alignment",
    )
    add("smart", "fit-in/100x100/filters:focal(280x70:320x110)/" + L)

    # --- manual crop ------------------------------------------------------------------------
    for crop in [
        "10x20:210x170/",
        "10x20:210x170/100x0/",
        "10x20:210x170/100x100/",
        "300x200:500x400/",
        "500x500:600x600/",
        "100x100:50x50/",
        "100x100:100x200/",
        "0x0:0x0/",
        "0x0:400x300/",
        "0x0:100x100/",
        "0x0:1x1/",
        "0x0:200x300/fit-in/100x100/",
        "0x0:200x150/-100x-75/",
        "100x0:300x300/50x0/",
        "0x0:10000x10000/200x0/",
    ]:
        add("crop", crop + L)
    add("crop", "-10x0:100x100/" + L, "a negative crop does not parse: it becomes the image path")
    add("crop", "10x10:100/" + L, "malformed crop does not parse: it becomes the image path")
    add("crop", "20x20:280x380/" + P)

    # --- trim -------------------------------------------------------------------------------
    for trim in [
        "trim/",
        "trim:top-left/",
        "trim:bottom-right/",
        "trim:top-left:8/",
        "trim:top-left:9/",
        "trim:top-left:26/",
        "trim:bottom-right:10/",
        "trim:bottom-right:20/",
        "trim/100x100/",
        "trim/10x10:100x80/",
        "trim/fit-in/50x50/",
    ]:
        add("trim", trim + F)
    add("trim", "trim:top-left:500/" + F, "nothing differs by more than 500: trim is skipped")
    add(
        "trim",
        "trim:50/" + F,
        "trim:<n> parses with position '50' (not 'top-left'): "
        "the C code treats any non-'top-left' position as bottom-right, tolerance 0",
    )
    add("trim", "trim:center/" + F, "unknown trim position does not parse: image path 404")
    add("trim", "trim/" + L)
    add("trim", "trim/" + P)

    # --- debug and meta as first-class URLs -------------------------------------------------
    add("debug", "debug/100x100/" + L, "debug draws focal points and skips crop/resize")
    add("meta", "meta/100x100/" + L)
    add("meta", "meta/fit-in/200x200/filters:rotate(90)/" + L)

    # --- format and quality -----------------------------------------------------------------
    for fmt in ["jpeg", "jpg", "png", "webp", "gif", "JPEG", "avif", "heic", "bmp", "'png'"]:
        add("format", f"filters:format({fmt})/" + L)
    for fmt in ["jpeg", "webp", "gif", "png"]:
        add("format", f"filters:format({fmt})/" + P)
    add("format", "filters:format()/" + L, "empty argument: filter dropped")
    add("format", "filters:quality(10)/" + L)
    add("format", "filters:quality(100)/" + L)
    add("format", "filters:quality(100):format(webp)/" + L, "webp at quality 100 is lossless")
    add("format", "filters:quality(0)/" + L)
    add("format", "filters:quality(150)/" + L)
    add("format", "filters:quality(abc)/" + L, "malformed argument: filter dropped")
    add("format", "filters:quality(50)/" + P, "quality on a PNG output")
    add("format", "filters:quality(%2050%20)/" + L, "spaces around arguments are allowed")

    # --- fill and background_color ----------------------------------------------------------
    for fill in ["red", "ff0000", "f00", "blur", "auto", "transparent", "notacolour"]:
        add("fill", f"fit-in/300x300/filters:fill({fill})/" + L)
    add("fill", "fit-in/300x300/filters:fill(transparent):format(png)/" + L)
    add("fill", "300x300/filters:fill(red)/" + L, "without fit-in the image already fills the box")
    add("fill", "fit-in/800x800/filters:fill(blue)/" + L, "fit-in does not upscale; fill pads")
    add("fill", "fit-in/800x0/filters:fill(blue)/" + L)
    add("fill", "fit-in/origx100/filters:fill(blue)/" + L)
    add(
        "fill",
        "fit-in/origx400/filters:fill(blue)/" + L,
        "fit-in returns early (no resize needed), request width stays 'orig', fill compares it",
    )
    add("fill", "full-fit-in/200x200/filters:fill(blue)/" + L)
    add("fill", "filters:fill(red)/" + P, "no size: fill under an RGBA source")
    add("fill", "filters:fill(red,true)/" + P, "fill_transparent: alpha composited")
    add("fill", "fit-in/300x300/filters:fill(red)/" + P)
    add("fill", "fit-in/300x300/filters:fill(red,1)/" + P)
    add("fill", "fit-in/300x300/filters:fill(red):format(jpeg)/" + P)
    add("fill", "fit-in/300x300/filters:fill(%23ff0000)/" + L, "'#ff0000' does not match [\\w]+")
    for bg in ["red", "00ff00", "zzz"]:
        add("fill", f"filters:background_color({bg})/" + P)
    add("fill", "filters:background_color(blue):format(jpeg)/" + P)
    add("fill", "filters:background_color(blue)/" + L)

    # --- upscale, no_upscale, stretch, proportion -------------------------------------------
    add("upscale", "fit-in/800x800/filters:upscale()/" + L)
    add("upscale", "fit-in/800x100/filters:upscale()/" + L)
    add("upscale", "fit-in/100x100/filters:upscale()/" + L)
    add("upscale", "fit-in/1000x500/filters:upscale()/" + L)
    add("upscale", "800x800/filters:upscale()/" + L)
    add("upscale", "adaptive-fit-in/600x800/filters:upscale()/" + L)
    add("upscale", "800x600/filters:no_upscale()/" + L)
    add("upscale", "1000x100/filters:no_upscale()/" + L)
    add("upscale", "800x0/filters:no_upscale()/" + L)
    add("upscale", "200x100/filters:no_upscale()/" + L)
    add("upscale", "fit-in/800x800/filters:no_upscale()/" + L)
    add("upscale", "200x200/filters:stretch()/" + L)
    add("upscale", "200x0/filters:stretch()/" + L)
    add("upscale", "800x100/filters:stretch()/" + L)
    add("upscale", "fit-in/200x200/filters:stretch()/" + L, "fit-in wins over stretch")
    for value in ["0.5", ".25", "0.333", "1", "1.5", "0", "0.001", "-0.5"]:
        add("proportion", f"filters:proportion({value})/" + L)
    add("proportion", "200x200/filters:proportion(0.5)/" + L)
    add("proportion", "fit-in/200x200/filters:proportion(0.5)/" + L)

    # --- rotate -----------------------------------------------------------------------------
    for deg in ["90", "180", "270", "45", "-90", "450", "360", "0", "abc"]:
        add("rotate", f"filters:rotate({deg})/" + L)
    add("rotate", "200x100/filters:rotate(90)/" + L, "rotate runs after the resize")
    add("rotate", "-200x100/filters:rotate(90)/" + L)
    add("rotate", "fit-in/200x200/filters:rotate(90):fill(red)/" + L)
    add("rotate", "fit-in/200x200/filters:fill(red):rotate(90)/" + L)

    # --- colour filters ---------------------------------------------------------------------
    for flt in [
        "grayscale()",
        "brightness(40)",
        "brightness(-40)",
        "contrast(30)",
        "contrast(-30)",
        "saturation(0.5)",
        "saturation(2)",
        "rgb(10,-10,20)",
        "blur(5)",
        "blur(5,2)",
        "blur(0)",
        "sharpen(2,1.0,true)",
        "sharpen(1)",
        "noise(30)",
        "equalize()",
        "round_corner(20,255,255,255)",
        "round_corner(20|40,0,0,0)",
        "round_corner(20,255,255,255,true)",
        "strip_exif()",
        "strip_icc()",
        "colorize(10,20,30,ff0000)",
        "convolution(1;2;1;2;4;2;1;2;1,3,true)",
        "brightness(abc)",
    ]:
        add("colour", f"200x150/filters:{flt}/" + L)
    add("colour", "filters:grayscale()/" + P, "grayscale keeps alpha (LA)")
    add("colour", "filters:round_corner(30,255,0,0,1)/" + P)
    add("colour", "filters:strip_icc():strip_exif()/" + L)

    # --- watermark --------------------------------------------------------------------------
    for args in [
        "10,10,0",
        "-10,-10,50",
        "center,center,0",
        "repeat,repeat,50",
        "repeat,10,0",
        "10,repeat,0",
        "20p,20p,0",
        "-20p,-20p,0",
        "0,0,100",
        "center,center,0,50",
        "center,center,0,none,50",
        "10,10,0,30,30",
        "10.5,10,0",
        "center,center",
    ]:
        add("watermark", f"200x150/filters:{WM},{args})/" + L)
    add("watermark", "filters:watermark(missing.png,10,10,0)/" + L, "watermark not found")
    add("watermark", "40x30/filters:" + WM + ",0,0,0)/" + L, "watermark larger than the image")
    add("watermark", "filters:" + WM + ",center,center,0)/" + P)
    add("watermark", "filters:watermark('" + W + "',10,10,0)/" + L, "quoted URL")

    # --- caching and size filters -----------------------------------------------------------
    add("headers", "filters:max_age(60)/" + L)
    add("headers", "filters:max_age(0)/" + L, "0 is falsy: no Cache-Control at all")
    add("headers", "filters:max_age(abc)/" + L)
    add("headers", "filters:max_bytes(3000)/" + L)
    add("headers", "filters:max_bytes(100)/" + L, "unreachable: the first encoding is kept")
    add("headers", "filters:max_bytes(100000)/" + L)
    add("headers", "filters:max_bytes(1000)/" + P, "ignored for PNG")
    add("headers", "filters:max_bytes(2000):format(webp)/" + L)

    # --- chains -----------------------------------------------------------------------------
    add("chain", "300x200/filters:quality(50):grayscale():rotate(90):format(webp)/" + L)
    add(
        "chain",
        "fit-in/200x200/filters:fill(white):" + WM + ",-5,-5,20):round_corner(10,0,0,0)/" + P,
    )
    add("chain", "trim/-120x-60/right/filters:brightness(10):contrast(10):strip_icc()/" + F)
    add("chain", "10x10:390x290/fit-in/-100x100/filters:format(png):fill(transparent)/" + L)
    add("chain", "filters:format(png):format(webp)/" + L, "last format wins")
    add("chain", "filters:quality(20):quality(90)/" + L)
    add("chain", "filters:rotate(90):rotate(90)/" + L)
    add("chain", "filters:unknown():grayscale()/" + L, "unknown filter dropped, the rest runs")

    # --- errors -----------------------------------------------------------------------------
    add("error", "missing.jpg")
    add("error", "200x200/missing.jpg")
    add("error", "sub/missing.jpg")
    add("error", "not-an-image.jpg")
    add("error", "filters:unknown()/" + L, "unknown filter: ignored")
    add("error", "filters:blur/" + L, "no parentheses: 'filters:blur/...' is the image path")
    add(
        "error",
        "filters:quality(30)grayscale()/" + L,
        "split on '):' gives one filter 'quality(30)grayscale()'; its regex matches the "
        "prefix: quality 30 applies, grayscale is lost",
    )
    add("error", "filters:/" + L)
    add("error", "filters:grayscale()/200x200/" + L, "filters before size: image path")
    add("error", "200x200/smart/left/" + L, "alignment after smart: image path")
    add("error", "", "no image")
    add("error", "200x200/", "no image after options")
    add("error", "../bench/thumbor.conf", "path traversal")
    add("error", "%2e%2e/bench/thumbor.conf", "encoded path traversal")
    c.append(Case("error", "/" + L, "neither unsafe nor signature"))
    c.append(Case("error", "/200x200/" + L, "'200x200' taken for a signature"))
    c.append(Case("error", "/unsafe/unsafe/" + L))

    # --- signatures -------------------------------------------------------------------------
    c.append(Case("signed", "/{sig}/" + L))
    c.append(Case("signed", "/{sig}/200x150/" + L))
    c.append(Case("signed", "/{sig}/fit-in/300x300/filters:fill(red):format(png)/" + L))
    c.append(Case("signed", "/{sig}/10x20:210x170/-100x0/right/bottom/smart/" + L))
    c.append(Case("signed", "/{sig}/trim/100x100/" + F))
    c.append(Case("signed", "/{sig}/missing.jpg", "a valid signature for a missing image"))
    c.append(Case("signed", "/{sig}/200x150/" + L, "signed with another key", key="another-key"))
    c.append(Case("signed", "/AAAAAAAAAAAAAAAAAAAAAAAAAAA=/200x150/" + L, "wrong signature"))
    c.append(
        Case("signed", "/{wrong}/200x151/" + L, "signature of 200x150/... sent with 200x151/...")
    )
    c.append(Case("signed", "/{sig}/meta/200x150/" + L, "signed meta URL"))

    # --- EXIF orientation -------------------------------------------------------------------
    for config in ["default", "respect_orientation"]:
        for path in [
            "",
            "50x50/",
            "fit-in/50x50/",
            "10x10:60x40/",
            "80x0/",
            "400x400/filters:no_upscale()/",
            "filters:rotate(90)/",
        ]:
            add("orientation", path + R, "", config)
    return c


# --- thumbor servers --------------------------------------------------------------------------


@dataclass
class Thumbor:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        return listener.getsockname()[1]


def config_text(name: str) -> str:
    settings = {**BASE_CONFIG, **CONFIGS[name]}
    return "".join(f"{key} = {value!r}\n" for key, value in sorted(settings.items()))


def start(name: str, work: Path) -> Thumbor:
    conf = work / f"{name}.conf"
    conf.write_text(config_text(name))
    log = work / f"{name}.log"
    port = free_port()
    command = [
        str(VENV / "bin" / "thumbor"),
        "-i",
        HOST,
        "-p",
        str(port),
        "-c",
        str(conf),
        "-l",
        "warning",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=work,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Thumbor(name, port, process, log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"thumbor {name} exited at start:\n{log.read_text()[-3000:]}")
        try:
            if fetch(server.base + "/healthcheck")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop(server)
    raise SystemExit(f"thumbor {name} did not start in {START_SECONDS:.0f} s")


def stop(server: Thumbor) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)  # its own session: pgid == its pid
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


# Loopback only, and never through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with OPENER.open(urllib.request.Request(url), timeout=60) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


# --- signatures (computed by thumbor's own libthumbor, in thumbor's venv) ----------------------

SIGNER = """
import json, sys
from libthumbor.url_signers.base64_hmac_sha1 import UrlSigner
from libthumbor import CryptoURL
asks = json.load(sys.stdin)
out = {"sign": [UrlSigner(k).signature(p).decode() for k, p in asks["sign"]],
       "generate": [CryptoURL(key=k).generate(**o) for k, o in asks["generate"]]}
json.dump(out, sys.stdout)
"""


def thumbor_sign(sign: list[tuple[str, str]], generate: list[tuple[str, dict]]) -> dict:
    asks = json.dumps({"sign": sign, "generate": generate})
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", SIGNER],
        input=asks,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def resolve_signatures(all_cases: list[Case]) -> list[Case]:
    """Replace {sig} (signature of the rest) and {wrong} (of the rest with 151 -> 150)."""
    asks = []
    for case in all_cases:
        if "{sig}" in case.url:
            asks.append((case.key, case.url.split("{sig}/", 1)[1]))
        elif "{wrong}" in case.url:
            asks.append((case.key, case.url.split("{wrong}/", 1)[1].replace("x151/", "x150/")))
    signatures = iter(thumbor_sign(asks, [])["sign"])
    resolved = []
    for case in all_cases:
        url = case.url
        if "{sig}" in url or "{wrong}" in url:
            url = re.sub(r"\{(sig|wrong)\}", next(signatures), url)
        resolved.append(Case(case.group, url, case.note, case.config, case.key))
    return resolved


# Published vectors: thumbor's docs/libraries.rst "Library Tests - Scenarios" (key
# 'my-security-key') and the PHP example of the thumbor wiki "Libraries" page (key
# 'MY_SECURE_KEY'). Each is checked against libthumbor when recorded.
DOC_VECTORS = [
    (
        "my-security-key",
        "300x200/my.server.com/some/path/to/image.jpg",
        "8ammJH8D-7tXy6kU3lTvoXlhu4o=",
        "thumbor docs/libraries.rst, scenario 1 and 2",
    ),
    (
        "my-security-key",
        "meta/my.server.com/some/path/to/image.jpg",
        "Ps3ORJDqxlSQ8y00T29GdNAh2CY=",
        "thumbor docs/libraries.rst, scenario 3",
    ),
    (
        "my-security-key",
        "smart/my.server.com/some/path/to/image.jpg",
        "-2NHpejRK2CyPAm61FigfQgJBxw=",
        "thumbor docs/libraries.rst, scenario 4",
    ),
    (
        "my-security-key",
        "fit-in/my.server.com/some/path/to/image.jpg",
        "uvLnA6TJlF-Cc-L8z9pEtfasO3s=",
        "thumbor docs/libraries.rst, scenario 5",
    ),
    (
        "my-security-key",
        "filters:brightness(10):contrast(20)/my.server.com/some/path/to/image.jpg",
        "ZZtPCw-BLYN1g42Kh8xTcRs0Qls=",
        "thumbor docs/libraries.rst, scenario 6 (its prose says quality(20), brightness(10); "
        "the URL and signature are for brightness(10):contrast(20))",
    ),
    (
        "MY_SECURE_KEY",
        "fit-in/560x420/filters:fill(green)/my/big/image.jpg",
        "bDv76lTvUdX6vORS96scx7P185c=",
        "thumbor wiki 'Libraries' page, PHP example",
    ),
]
OWN_PATHS = [
    "landscape.jpg",
    "300x200/smart/landscape.jpg",
    "trim:bottom-right:20/10x20:210x170/adaptive-full-fit-in/-300x-200/left/top/smart/"
    "filters:quality(80):fill(red,true)/landscape.jpg",
    "meta/200x150/landscape.jpg",
    "filters:watermark(watermark.png,-10,center,50,20,none)/path/with%20space/image.png",
    "300x200/http%3A%2F%2Fexample.com%2Fimage.jpg",
    "300x200/unicode-\u00e9t\u00e9.jpg",
]
GENERATE = [
    {"width": 300, "height": 200, "smart": True, "image_url": "landscape.jpg"},
    {
        "width": 300,
        "height": 200,
        "flip": True,
        "flop": True,
        "halign": "left",
        "valign": "bottom",
        "image_url": "landscape.jpg",
    },
    {
        "fit_in": True,
        "width": 200,
        "height": 0,
        "filters": ["quality(50)", "fill(blue)"],
        "image_url": "portrait.png",
    },
    {
        "crop": [[10, 20], [210, 170]],
        "width": 100,
        "height": 0,
        "trim": True,
        "image_url": "landscape.jpg",
    },
    {"meta": True, "width": 100, "height": 100, "image_url": "landscape.jpg"},
]


def signature_vectors() -> list[dict]:
    sign = [(key, path) for key, path, _, _ in DOC_VECTORS]
    sign += [(SECURITY_KEY, path) for path in OWN_PATHS]
    got = thumbor_sign(sign, [(SECURITY_KEY, options) for options in GENERATE])
    vectors = []
    for (key, path, published, origin), computed in zip(
        DOC_VECTORS, got["sign"][: len(DOC_VECTORS)], strict=True
    ):
        if computed != published:
            raise SystemExit(f"libthumbor disagrees with the docs for {path!r}: {computed}")
        vectors.append(
            {
                "key": key,
                "path": path,
                "signature": published,
                "origin": origin,
                "url": f"/{published}/{path}",
            }
        )
    for path, computed in zip(OWN_PATHS, got["sign"][len(DOC_VECTORS) :], strict=True):
        vectors.append(
            {
                "key": SECURITY_KEY,
                "path": path,
                "signature": computed,
                "origin": "libthumbor 2 UrlSigner (thumbor 7.8's URL_SIGNER default)",
                "url": f"/{computed}/{path}",
            }
        )
    for options, url in zip(GENERATE, got["generate"], strict=True):
        signature, path = url.lstrip("/").split("/", 1)
        vectors.append(
            {
                "key": SECURITY_KEY,
                "path": path,
                "signature": signature,
                "origin": "libthumbor 2 CryptoURL.generate("
                + json.dumps(options, sort_keys=True)
                + ")",
                "url": url,
            }
        )
    return vectors


# --- looking at answers ----------------------------------------------------------------------


def sniff(body: bytes) -> str | None:
    if body.startswith(b"\xff\xd8"):
        return "jpeg"
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if body.startswith(b"GIF8"):
        return "gif"
    if body[8:12] == b"WEBP":
        return "webp"
    if body[4:12] in (b"ftypavif", b"ftypavis"):
        return "avif"
    if body[4:8] == b"ftyp":
        return "heif"
    return None


def probe(image: pyvips.Image) -> dict[str, list[int]]:
    """Five pixels that show where a crop was taken: near each corner, and the centre.
    tests/test_thumbor_reference.py reads fitter's answers with this same function."""
    w, h = image.width, image.height
    points = {
        "top_left": (1, 1),
        "top_right": (w - 2, 1),
        "bottom_left": (1, h - 2),
        "bottom_right": (w - 2, h - 2),
        "centre": (w // 2, h // 2),
    }
    found = {}
    for name, (x, y) in points.items():
        x, y = min(max(x, 0), w - 1), min(max(y, 0), h - 1)
        found[name] = [round(v) for v in image.getpoint(x, y)]
    return found


def describe_image(body: bytes) -> dict:
    image = pyvips.Image.new_from_buffer(body, "")
    w, h = image.width, image.height
    probe_pixels = probe(image)
    return {
        "width": w,
        "height": h,
        "bands": image.bands,
        "has_alpha": bool(image.hasalpha()),
        "icc": bool(image.get_typeof("icc-profile-data")),
        "exif": bool(image.get_typeof("exif-data")),
        "probe": probe_pixels,
    }


EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)\b.*$")


def log_lines(text: str) -> list[str]:
    """The WARNING/ERROR messages of one request (first line) and exception names."""
    kept = []
    # object addresses change every run
    text = re.sub(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{6,}", "0x...", text)
    for line in text.splitlines():
        message = line.startswith(("WARNING ", "ERROR ")) and " tornado.access " not in line
        if message or EXCEPTION_LINE.match(line.strip()):
            kept.append(line.strip())
    return kept


def meta_url(url: str) -> str:
    rest = url.lstrip("/").split("/", 1)[1] if "/" in url.lstrip("/") else ""
    if rest.startswith("meta/"):
        rest = rest[len("meta/") :]
    if rest.startswith("debug/"):  # the grammar wants debug before meta
        return "/unsafe/debug/meta/" + rest[len("debug/") :]
    return "/unsafe/meta/" + rest


def record(server: Thumbor, case: Case) -> dict:
    offset = server.log.stat().st_size
    status, headers, body = fetch(server.base + case.url)
    time.sleep(0.02)
    with server.log.open("rb") as log:
        log.seek(offset)
        new_log = log.read().decode("utf-8", "replace")
    entry: dict = {
        "url": case.url,
        "config": case.config,
        "group": case.group,
        "status": status,
        "content_type": headers.get("Content-Type"),
        "cache_control": headers.get("Cache-Control"),
    }
    kind = sniff(body) if status == 200 else None
    if kind:
        entry["format"] = kind
        entry["bytes"] = len(body)
        try:
            entry.update(describe_image(body))
        except pyvips.Error as error:
            entry["decode_error"] = str(error).splitlines()[0]
    elif status == 200 and headers.get("Content-Type", "").startswith("application/json"):
        entry["body"] = json.loads(body)
    if status == 200:
        meta_status, _, meta_body = fetch(server.base + meta_url(case.url))
        if meta_status == 200:
            entry["meta"] = json.loads(meta_body)["thumbor"]
        else:
            entry["meta_status"] = meta_status
    lines = log_lines(new_log)
    if lines and status != 200:
        entry["log"] = lines
    notes = [case.note] if case.note else []
    if status >= 500:
        errors = [line for line in lines if EXCEPTION_LINE.match(line)]
        notes.append(f"thumbor answers {status}" + (f" ({errors[-1]})" if errors else ""))
    if notes:
        entry["note"] = "; ".join(notes)
    return entry


def source_table() -> dict:
    table = {}
    for path in sorted(SOURCES.iterdir()):
        info: dict = {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "bytes": path.stat().st_size,
        }
        try:
            image = pyvips.Image.new_from_file(str(path))
            info.update(width=image.width, height=image.height, bands=image.bands)
            if image.get_typeof("orientation"):
                info["orientation"] = image.get("orientation")
        except pyvips.Error:
            info["image"] = False
        table[path.name] = info
    return table


def thumbor_version() -> str:
    done = subprocess.run(
        [
            str(VENV / "bin" / "python"),
            "-c",
            "import thumbor, PIL; print(thumbor.__version__, PIL.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    thumbor, pillow = done.stdout.split()
    return thumbor, pillow


def dump(document: dict) -> str:
    """Sorted keys, the head indented, one line per case: a re-record diffs per URL."""
    cases_ = document.pop("cases")
    head = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False)
    lines = [json.dumps(case, sort_keys=True, ensure_ascii=False) for case in cases_]
    document["cases"] = cases_
    return head[:-2] + ',\n "cases": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"


def main() -> None:
    if not (VENV / "bin" / "thumbor").exists():
        raise SystemExit(f"no thumbor at {VENV}/bin/thumbor (set THUMBOR_VENV)")
    sys.path.insert(0, str(HERE))
    import make_sources

    expected_sources = [
        "landscape.jpg",
        "portrait.png",
        "square.png",
        "rotated.jpg",
        "framed.png",
        "watermark.png",
        "not-an-image.jpg",
    ]
    if not all((SOURCES / name).exists() for name in expected_sources):
        make_sources.main()

    version, pillow = thumbor_version()
    all_cases = resolve_signatures(cases())
    urls = [(case.config, case.url) for case in all_cases]
    duplicates = {u for u in urls if urls.count(u) > 1}
    if duplicates:
        raise SystemExit(f"duplicate cases: {sorted(duplicates)}")

    entries = []
    with tempfile.TemporaryDirectory(prefix="thumbor-record-") as work:
        servers = {}
        try:
            for name in CONFIGS:
                servers[name] = start(name, Path(work))
            for case in all_cases:
                entries.append(record(servers[case.config], case))
        finally:
            for server in servers.values():
                stop(server)

    entries.sort(key=lambda e: (e["config"], e["url"]))
    statuses: dict[str, int] = {}
    for entry in entries:
        statuses[str(entry["status"])] = statuses.get(str(entry["status"]), 0) + 1
    document = {
        "about": "What thumbor answered for each URL. Re-record with "
        "`.venv/bin/python tests/thumbor/record.py` from the repository root. "
        "'probe' holds pixel values at 5 points (compare with a tolerance); 'meta' is "
        "thumbor's /unsafe/meta/ answer for the same URL (its 'source' width/height are the "
        "engine's size when encoding, i.e. after every operation and filter, not the "
        "original's); 'bytes' depends on Pillow.",
        "thumbor_version": version,
        "pillow_version": pillow,
        "security_key": SECURITY_KEY,
        "configs": {
            name: {**BASE_CONFIG, **extra, "FILE_LOADER_ROOT_PATH": "tests/thumbor/sources"}
            for name, extra in CONFIGS.items()
        },
        "sources": source_table(),
        "counts": {"cases": len(entries), "status": statuses},
        "cases": entries,
    }
    EXPECTED.write_text(dump(document))
    SIGNATURES.write_text(
        json.dumps(
            {
                "about": "HMAC-SHA1 of the path after the signature, "
                "url-safe base64 with padding (thumbor's default "
                "URL_SIGNER).",
                "vectors": signature_vectors(),
            },
            indent=1,
            sort_keys=True,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"{len(entries)} cases, status {statuses} -> {EXPECTED.relative_to(ROOT)}")
    for entry in entries:
        if entry["status"] >= 500:
            print(f"  {entry['status']} {entry['url']}: {entry.get('note', '')}")


if __name__ == "__main__":
    main()
