"""Crafted files for the hostile-input suite: bombs that are small on disk, broken files of
every format, files whose names lie, and SVGs that try to reach outside.

Every bomb is a few KB at most: its header claims a huge image, its pixels are not there.
The builders write the container structures themselves (PNG chunks with their CRCs, TIFF
IFDs, GIF blocks) or patch the header of a small real file made with libvips.
"""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import pyvips

from support import images as synth

# A colour no test image contains: the mark of a file that must never be read.
SECRET_RGB = (255, 0, 255)
SECRET_HEX = "#ff00ff"


# PNG


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(width: int = 50_000, height: int = 50_000, rows: int = 4) -> bytes:
    """An 8-bit grey PNG whose IHDR says `width` x `height`; the IDAT holds `rows` rows of
    zeros (a few hundred bytes once deflated), so the file is a few KB at most."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress((b"\x00" * (width + 1)) * rows, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


# JPEG


def small_jpeg(width: int = 64, height: int = 48) -> bytes:
    return synth.gradient(width, height).jpegsave_buffer(Q=90)


def sof_offset(data: bytes) -> int:
    """Where the baseline or progressive SOF segment's marker starts."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("not a marker")
        marker = data[position + 1]
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return position
        position += 2 + length
    raise ValueError("no SOF segment")


def jpeg_bomb(width: int = 65_000, height: int = 65_000) -> bytes:
    """A small real JPEG whose SOF0 header is patched to say `width` x `height`."""
    data = bytearray(small_jpeg())
    at = sof_offset(bytes(data))
    # FF C0, length (2), precision (1), height (2), width (2).
    data[at + 5 : at + 7] = struct.pack(">H", height)
    data[at + 7 : at + 9] = struct.pack(">H", width)
    return bytes(data)


# WebP


def small_animation(width: int, height: int, frames: int) -> pyvips.Image:
    return synth.animation(width, height, frames)


def webp_bomb(width: int = 16_383, height: int = 16_383) -> bytes:
    """A small animated WebP (two 16x16 frames) whose VP8X canvas says `width` x `height`.

    An animation's frames may be smaller than its canvas, so the file stays valid."""
    data = bytearray(small_animation(16, 16, 2).webpsave_buffer(lossless=True))
    assert data[12:16] == b"VP8X", "libvips wrote no extended header"
    # RIFF header (12), chunk header (8), flags (4), canvas width - 1 (3), height - 1 (3).
    data[24:27] = (width - 1).to_bytes(3, "little")
    data[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(data)


# GIF


def gif_blocks(data: bytes) -> tuple[bytes, list[bytes]]:
    """A GIF as its head (header, screen descriptor, global colour table) and its blocks
    (extensions and images, each whole with its sub-blocks), without the trailer."""
    flags = data[10]
    position = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    head, blocks = data[:position], []
    while data[position] != 0x3B:
        start = position
        if data[position] == 0x21:  # extension: introducer, label, sub-blocks
            position += 2
        elif data[position] == 0x2C:  # image: descriptor, local table, LZW code size
            local = data[position + 9]
            position += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0) + 1
        else:
            raise ValueError(f"unexpected GIF block {data[position]:#x}")
        while data[position]:
            position += data[position] + 1
        position += 1
        blocks.append(data[start:position])
    return head, blocks


def gif_frames(frames: int, width: int = 100, height: int = 100) -> bytes:
    """An animated GIF of `frames` real `width` x `height` frames: one frame that libvips
    encoded, with its control extension, repeated. Small: a solid frame is a few bytes."""
    frame = pyvips.Image.black(width, height).new_from_image([0, 128, 255])
    head, blocks = gif_blocks(frame.copy(interpretation="srgb").gifsave_buffer())
    image = [b for b in blocks if b[0] == 0x2C]
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    control = b"\x21\xf9\x04\x04\x0a\x00\x00\x00"  # 100 ms, keep the frame
    return head + loop + (control + image[0]) * frames + b"\x3b"


def gif_screen_bomb(width: int = 65_535, height: int = 65_535) -> bytes:
    """A small GIF whose logical screen says `width` x `height` and whose one frame fills
    it, according to its descriptor (its LZW data holds a handful of pixels)."""
    head, blocks = gif_blocks(gif_frames(1, 8, 8))
    head = head[:6] + struct.pack("<HH", width, height) + head[10:]
    image = bytearray(next(b for b in blocks if b[0] == 0x2C))
    image[5:9] = struct.pack("<HH", width, height)
    return head + bytes(image) + b"\x3b"


# TIFF


def tiff_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A little-endian, uncompressed 8-bit grey TIFF whose IFD says `width` x `height` in one
    strip; the strip holds 16 bytes."""
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample, SHORT
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: min-is-black
        (273, 4, 1, 0),  # StripOffsets: patched below
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, min(width * height, 0xFFFFFFFF)),  # StripByteCounts, as claimed
    ]
    ifd_at = 8
    data_at = ifd_at + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = data_at
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd_at) + ifd + b"\0" * 16


# SVG


def svg(body: str, width: int = 64, height: int = 64, prologue: str = "") -> bytes:
    return (
        f"{prologue}<svg xmlns='http://www.w3.org/2000/svg' "
        f"xmlns:xlink='http://www.w3.org/1999/xlink' "
        f"width='{width}' height='{height}' viewBox='0 0 {width} {height}'>{body}</svg>"
    ).encode()


GREEN_RECT = "<rect x='0' y='0' width='100%' height='100%' fill='#00a000'/>"


def svg_plain() -> bytes:
    return svg(GREEN_RECT)


def svg_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    return svg(GREEN_RECT, width, height)


def svg_script() -> bytes:
    """A green square with scripts that would paint it magenta if they ran."""
    paint = f"document.getElementById('r').setAttribute('fill','{SECRET_HEX}')"
    return svg(
        f"<rect id='r' width='100%' height='100%' fill='#00a000' onload=\"{paint}\"/>"
        f"<script type='text/javascript'><![CDATA[{paint}]]></script>",
    ).replace(b"<svg ", f'<svg onload="{paint}" '.encode(), 1)


def svg_xxe(secret: Path) -> bytes:
    """An external entity whose text is an SVG fragment: a magenta square."""
    prologue = f"<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY secret SYSTEM 'file://{secret}'>]>"
    return svg(GREEN_RECT + "&secret;", prologue=prologue)


def svg_xxe_parameter(secret: Path) -> bytes:
    """A parameter entity pulling an external DTD."""
    prologue = (
        "<?xml version='1.0'?>"
        f"<!DOCTYPE svg [<!ENTITY % remote SYSTEM 'file://{secret}'> %remote;]>"
    )
    return svg(GREEN_RECT, prologue=prologue)


def svg_image_href(target: str) -> bytes:
    """An <image> whose href is a local file or URL, drawn over the whole canvas."""
    return svg(
        GREEN_RECT + f"<image x='0' y='0' width='100%' height='100%' href='{target}' "
        f"xlink:href='{target}'/>"
    )


def svg_use_href(target: str) -> bytes:
    return svg(GREEN_RECT + f"<use href='{target}#r' xlink:href='{target}#r'/>")


def svg_xinclude(target: str) -> bytes:
    return svg(
        GREEN_RECT + f"<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='{target}'/>"
    )


def svg_css_import(target: str) -> bytes:
    return svg(
        f"<style>@import url('{target}'); rect {{ fill: #00a000; }}</style>"
        "<rect width='100%' height='100%'/>"
    )


def svg_fragment() -> bytes:
    """What a secret SVG file holds: a magenta square that fills the canvas."""
    return f"<rect id='r' x='0' y='0' width='64' height='64' fill='{SECRET_HEX}'/>".encode()


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def secret_png(width: int = 64, height: int = 64) -> bytes:
    return (
        (pyvips.Image.black(width, height, bands=3) + list(SECRET_RGB))
        .cast("uchar")
        .copy(interpretation="srgb")
        .pngsave_buffer()
    )


# Real files of every format, and broken copies of them


def noisy(width: int = 160, height: int = 120) -> pyvips.Image:
    """An image whose compressed data is large enough to cut and corrupt meaningfully."""
    noise = pyvips.Image.gaussnoise(width, height, mean=128, sigma=60, seed=7)
    return (
        noise.bandjoin([noise.rot180(), noise.fliphor()]).cast("uchar").copy(interpretation="srgb")
    )


def noisy_animation(width: int = 80, height: int = 60, frames: int = 3) -> pyvips.Image:
    """Frames of noise, so that each one's compressed data is large."""
    pages = [
        noisy(width, height).rot180() if i % 2 else noisy(width, height) for i in range(frames)
    ]
    strip = pyvips.Image.arrayjoin(pages, across=1).copy(interpretation="srgb")
    strip.set_type(pyvips.GValue.gint_type, "page-height", height)
    strip.set_type(pyvips.GValue.array_int_type, "delay", [100] * frames)
    strip.set_type(pyvips.GValue.gint_type, "loop", 0)
    return strip


def real_files() -> dict[str, bytes]:
    image = noisy()
    animation = noisy_animation()
    return {
        "jpeg": image.jpegsave_buffer(Q=90),
        "png": image.pngsave_buffer(),
        "webp": image.webpsave_buffer(Q=90),
        "gif": image.gifsave_buffer(),
        "animation": animation.gifsave_buffer(),
        "tiff": image.tiffsave_buffer(compression="deflate"),
        "avif": image.heifsave_buffer(compression="av1", Q=60, effort=0),
    }


def truncated(data: bytes, fraction: float = 0.5) -> bytes:
    return data[: max(16, int(len(data) * fraction))]


def overwritten(data: bytes, start: float = 0.3, length: float = 0.4, byte: int = 0xA5) -> bytes:
    """`data` with a run in the middle replaced by one repeated byte (headers survive)."""
    begin = int(len(data) * start)
    end = begin + int(len(data) * length)
    return data[:begin] + bytes([byte]) * (end - begin) + data[end:]


def header_only(data: bytes, size: int = 64) -> bytes:
    return data[:size]
