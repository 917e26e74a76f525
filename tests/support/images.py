"""Synthetic source images with the properties the tests need, made with pyvips."""

from __future__ import annotations

from pathlib import Path

import pyvips


def gradient(width: int, height: int) -> pyvips.Image:
    """An sRGB image whose every pixel differs, so crops and flips can be told apart."""
    xy = pyvips.Image.xyz(width, height)
    x, y = xy[0], xy[1]
    red = x * 255 / max(width - 1, 1)
    green = y * 255 / max(height - 1, 1)
    blue = (x + y) * 255 / max(width + height - 2, 1)
    return red.bandjoin([green, blue]).cast("uchar").copy(interpretation="srgb")


def with_orientation(image: pyvips.Image, orientation: int) -> pyvips.Image:
    image = image.copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    return image


def save_cmyk_jpeg(image: pyvips.Image, path: Path) -> None:
    image.icc_transform("cmyk").jpegsave(str(path))


def save_16bit_png(image: pyvips.Image, path: Path) -> None:
    deep = (image.cast("ushort") * 257).copy(interpretation="rgb16")
    deep.pngsave(str(path), bitdepth=16)


def with_alpha(image: pyvips.Image) -> pyvips.Image:
    """Transparent on the left half, opaque on the right."""
    alpha = (pyvips.Image.xyz(image.width, image.height)[0] >= image.width // 2) * 255
    return image.bandjoin(alpha.cast("uchar")).copy(interpretation="srgb")


def animation(width: int, height: int, frames: int) -> pyvips.Image:
    """A strip of `frames` solid frames of different colours, as libvips animates."""
    colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]]
    pages = [
        (pyvips.Image.black(width, height, bands=3) + colours[i % len(colours)]).cast("uchar")
        for i in range(frames)
    ]
    strip = pyvips.Image.arrayjoin(pages, across=1).copy(interpretation="srgb")
    strip.set_type(pyvips.GValue.gint_type, "page-height", height)
    strip.set_type(pyvips.GValue.array_int_type, "delay", [100] * frames)
    strip.set_type(pyvips.GValue.gint_type, "loop", 0)
    return strip


def load(data: bytes, animated: bool = False) -> pyvips.Image:
    """An answer's bytes as an image (all frames when asked)."""
    return (
        pyvips.Image.new_from_buffer(data, "", n=-1)
        if animated
        else (pyvips.Image.new_from_buffer(data, ""))
    )


def frames(image: pyvips.Image) -> int:
    return image.get("n-pages") if "n-pages" in image.get_fields() else 1
