"""Everything the bench needs, installed into `.bench/` once and reused after.

Each step checks for its result first, so `make bench` is cheap to run again. Files are
written under a temporary name and renamed, so an interrupted run never leaves a half
image that a later run would trust.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyvips

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / ".bench"
IMAGES = BENCH_DIR / "images"
THUMBOR_VENV = BENCH_DIR / "thumbor-venv"
THUMBOR = THUMBOR_VENV / "bin" / "thumbor"
THUMBOR_VERSION = "7.8.0"
WALLPAPERS = ROOT / ".testdata" / "wallpapers"


@dataclass(frozen=True)
class Tools:
    thumbor: Path
    wrk: str


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def install_tools() -> Tools:
    return Tools(thumbor=install_thumbor(), wrk=install_wrk())


def install_thumbor() -> Path:
    """thumbor in its own virtualenv: its pinned dependencies must not touch fitter's."""
    if THUMBOR.exists() and thumbor_version() == THUMBOR_VERSION:
        return THUMBOR
    log(f"installing thumbor {THUMBOR_VERSION} into {THUMBOR_VENV.relative_to(ROOT)}")
    subprocess.run(["python3", "-m", "venv", str(THUMBOR_VENV)], check=True)
    pip = THUMBOR_VENV / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", f"thumbor=={THUMBOR_VERSION}"], check=True)
    if thumbor_version() != THUMBOR_VERSION:
        raise SystemExit(f"thumbor {THUMBOR_VERSION} did not install")
    return THUMBOR


def thumbor_version() -> str:
    """What `thumbor --version` says, e.g. `Thumbor v7.8.0 (30-May-2026)` → `7.8.0`."""
    if not THUMBOR.exists():
        return ""
    done = subprocess.run([str(THUMBOR), "--version"], capture_output=True, text=True)
    found = re.search(r"v(\d+\.\d+\.\d+)", done.stdout)
    return found.group(1) if done.returncode == 0 and found else ""


def install_wrk() -> str:
    """wrk from Debian: a load generator in C, so the client costs little of the 2 cores."""
    found = shutil.which("wrk")
    if found:
        return found
    log("installing wrk from Debian")
    if apt_install("wrk") != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        if apt_install("wrk") != 0:
            raise SystemExit("apt-get install wrk failed")
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not on PATH after installing it")
    return found


def apt_install(package: str) -> int:
    command = ["apt-get", "install", "-y", "-qq", package]
    return subprocess.run(command, stdout=subprocess.DEVNULL).returncode


def prepare_images() -> Path:
    """The four sources of the issue's table, made from real photographs."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    autumn = WALLPAPERS / "Autumn.jpg"
    flow = WALLPAPERS / "Flow-5120x2880.jpg"
    for needed in (autumn, flow):
        if not needed.exists():
            raise SystemExit(f"{needed} is missing: run `make testdata` first")
    # Camera files are mostly baseline; the wallpapers are progressive, which decode slower.
    make(IMAGES / "photo.jpg", lambda out: baseline_jpeg(autumn, out))
    make(IMAGES / "large.jpg", lambda out: baseline_jpeg(flow, out))
    # The talk's demo: the same photograph as a 2880x1800 PNG.
    make(IMAGES / "demo.png", lambda out: demo_png(IMAGES / "photo.jpg", out))
    make(IMAGES / "pixels-l.webp", fetch_pixels_webp)
    return IMAGES


def make(target: Path, build) -> None:
    if target.exists():
        return
    log(f"making {target.relative_to(ROOT)}")
    partial = target.with_name(f".{target.name}.partial{target.suffix}")
    build(partial)
    partial.replace(target)


def baseline_jpeg(source: Path, out: Path) -> None:
    pyvips.Image.new_from_file(str(source)).jpegsave(str(out), Q=90, interlace=False)


def demo_png(photo: Path, out: Path) -> None:
    image = pyvips.Image.new_from_file(str(photo))
    image.resize(2880 / image.width, vscale=1800 / image.height).pngsave(str(out))


def fetch_pixels_webp(out: Path) -> None:
    """Debian's gnome-backgrounds ships the 4096x4096 WebP; unpack it without installing."""
    with tempfile.TemporaryDirectory() as work:
        # apt-get download runs as _apt where it can: let it write here.
        os.chmod(work, 0o755)
        download = ["apt-get", "download", "-qq", "gnome-backgrounds"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if subprocess.run(download, cwd=work, **quiet).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(download, cwd=work, check=True)
        package = next(Path(work).glob("gnome-backgrounds_*.deb"))
        unpacked = Path(work) / "root"
        subprocess.run(["dpkg-deb", "-x", str(package), str(unpacked)], check=True)
        found = next(unpacked.rglob("pixels-l.webp"), None)
        if found is None:
            raise SystemExit("gnome-backgrounds has no pixels-l.webp")
        shutil.copyfile(found, out)
