"""Deterministic source images for the thumbor fixture, drawn with pyvips.

Run from the repository root (record.py runs it too):

    .venv/bin/python tests/thumbor/make_sources.py

Writes into tests/thumbor/sources/. Every image is computed from coordinates only (no
randomness, no clock), so re-running gives the same pixels; encoded bytes may change with
the libvips version, which is why record.py re-records expected.json from whatever is here.

- landscape.jpg  400x300 sRGB JPEG: colour gradient, a bright blob off-centre at (300, 90)
                 r=35 (something for `smart`), an embedded sRGB ICC profile and EXIF
                 (Artist/Copyright) so strip_icc/strip_exif have something to strip.
- portrait.png   300x400 RGBA PNG: gradient with a fully transparent 20 px border.
- square.png     256x256 RGB PNG, no alpha: a checker of 32 px cells over a gradient.
- rotated.jpg    200x100 stored pixels with EXIF orientation 6 (shown upright as 100x200).
- framed.png     200x150 RGB PNG for trim: white (255) background, a 12x12 near-white
                 (250) block in the bottom-right corner, a 6 px near-white (240) ring
                 [34,166)x[24,116) around a 120x80 coloured block [40,160)x[30,110).
                 Colour distances (Euclidean over RGB): 255-250 8.66, 255-240 25.98,
                 250-240 17.32.
- watermark.png  64x32 RGBA PNG: a half-transparent white bar with an opaque dark square.
- not-an-image.jpg  a few bytes of text with an image name (the "cannot decode" case).
"""

from __future__ import annotations

from pathlib import Path

import pyvips

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"


def gradient(width: int, height: int, step: int = 1) -> pyvips.Image:
    """A colour ramp; step > 1 makes it a staircase of step-px bands (PNGs stay small)."""
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    if step > 1:
        x = (x / step).cast("int") * step
        y = (y / step).cast("int") * step
    red = x * 255 / max(width - 1, 1)
    green = y * 255 / max(height - 1, 1)
    blue = 255 - (x + y) * 255 / max(width + height - 2, 1)
    return red.bandjoin([green, blue]).cast("uchar").copy(interpretation="srgb")


def disc(width: int, height: int, cx: int, cy: int, r: int) -> pyvips.Image:
    """0/255 mask of a filled disc."""
    xy = pyvips.Image.xyz(width, height)
    d2 = (xy[0] - cx) ** 2 + (xy[1] - cy) ** 2
    return (d2 <= r * r).ifthenelse(255, 0).cast("uchar")


def rect(width: int, height: int, left: int, top: int, right: int, bottom: int):
    """0/255 mask of the rectangle [left, right) x [top, bottom)."""
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    inside = (x >= left) & (x < right) & (y >= top) & (y < bottom)
    return inside.ifthenelse(255, 0).cast("uchar")


def solid(width: int, height: int, colour) -> pyvips.Image:
    return (pyvips.Image.black(width, height, bands=len(colour)) + colour).cast("uchar")


def landscape() -> pyvips.Image:
    w, h = 400, 300
    base = gradient(w, h)
    blob = disc(w, h, 300, 90, 35)
    image = blob.ifthenelse([255, 255, 240], base).copy(interpretation="srgb")
    image = image.copy()
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Artist", "fitter tests")
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Copyright", "public domain")
    return image


def portrait() -> pyvips.Image:
    w, h, border = 300, 400, 20
    alpha = rect(w, h, border, border, w - border, h - border)
    return gradient(w, h, 20).bandjoin(alpha).copy(interpretation="srgb")


def square() -> pyvips.Image:
    w = h = 256
    xy = pyvips.Image.xyz(w, h)
    cells = ((xy[0] / 32).cast("int") + (xy[1] / 32).cast("int")) % 2
    base = gradient(w, h, 16)
    return (cells == 1).ifthenelse(base, base * 0.5).cast("uchar").copy(interpretation="srgb")


def rotated() -> pyvips.Image:
    # Stored 200 wide, 100 high; orientation 6 means "rotate 90 degrees clockwise to show".
    w, h = 200, 100
    base = gradient(w, h)
    mark = rect(w, h, 10, 10, 50, 40)  # a black block near the stored top-left corner
    image = mark.ifthenelse([0, 0, 0], base).copy(interpretation="srgb").copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)
    return image


def framed() -> pyvips.Image:
    w, h = 200, 150
    image = solid(w, h, [255, 255, 255])
    # the bottom-right corner is near-white (250): trim:top-left keeps it at tolerance 0,
    # and trim:bottom-right uses it as the reference colour
    corner = rect(w, h, w - 12, h - 12, w, h)
    image = corner.ifthenelse([250, 250, 250], image)
    # content block 120x80 at (40, 30); a 6 px near-white (240) ring around it
    ring = rect(w, h, 34, 24, 166, 116)
    image = ring.ifthenelse([240, 240, 240], image)
    content = rect(w, h, 40, 30, 160, 110)
    image = content.ifthenelse(gradient(w, h, 10), image)
    return image.cast("uchar").copy(interpretation="srgb")


def watermark() -> pyvips.Image:
    w, h = 64, 32
    rgb = solid(w, h, [255, 255, 255])
    dark = rect(w, h, 4, 4, 28, 28)
    rgb = dark.ifthenelse([20, 20, 60], rgb)
    alpha = dark.ifthenelse(255, 128).cast("uchar")
    return rgb.bandjoin(alpha).copy(interpretation="srgb")


def main() -> None:
    SOURCES.mkdir(parents=True, exist_ok=True)
    landscape().jpegsave(str(SOURCES / "landscape.jpg"), Q=85, keep="exif,icc", profile="srgb")
    portrait().pngsave(str(SOURCES / "portrait.png"), compression=9, keep="none")
    square().pngsave(str(SOURCES / "square.png"), compression=9, keep="none")
    rotated().jpegsave(str(SOURCES / "rotated.jpg"), Q=85, keep="exif")
    framed().pngsave(str(SOURCES / "framed.png"), compression=9, keep="none")
    watermark().pngsave(str(SOURCES / "watermark.png"), compression=9, keep="none")
    (SOURCES / "not-an-image.jpg").write_bytes(b"this is not an image\n")
    for path in sorted(SOURCES.iterdir()):
        if path.name == "not-an-image.jpg":
            continue
        image = pyvips.Image.new_from_file(str(path))
        orientation = image.get("orientation") if image.get_typeof("orientation") else "-"
        print(
            f"{path.name:15} {image.width}x{image.height} bands={image.bands} "
            f"orientation={orientation} {path.stat().st_size} bytes"
        )


if __name__ == "__main__":
    main()
