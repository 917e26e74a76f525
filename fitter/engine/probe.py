"""Reading what an original's header says, without decoding its pixels.

The header may be read from the whole original or from its first bytes only (a ranged
read of a remote object). The first bytes suffice for JPEG and PNG, whose header comes
before any pixel and which have one frame; for the rest (a GIF's frame count is only
known at its end) and for a header longer than the bytes read, `NeedWhole` asks the
caller for the whole original.
"""

from __future__ import annotations

import pyvips

from fitter.engine.load import ROTATING_ORIENTATIONS, detached, open_image, read_head
from fitter.engine.sniff import HEAD_BYTES, sniff
from fitter.errors import NotAnImage
from fitter.models import Original, SourceInfo

# libvips loader name (without the _source/_buffer suffix) → format name.
LOADER_FORMATS = {
    "jpegload": "jpeg",
    "pngload": "png",
    "webpload": "webp",
    "gifload": "gif",
    "tiffload": "tiff",
    "svgload": "svg",
    "jp2kload": "jp2",
    "jxlload": "jxl",
    "pdfload": "pdf",
    "magickload": "magick",
}
# Formats whose whole header is in the bytes before the first pixel, with one frame.
HEADER_FIRST = frozenset({"jpeg", "png"})


class NeedWhole(Exception):
    """The first bytes of an original do not tell its header for sure: read it whole."""


def probe(
    original: Original, size: int, *, partial: bool = False, enable_svg: bool = False
) -> SourceInfo:
    """What the header of an original of `size` bytes says, without decoding pixels.

    `partial`: `original` is only its first bytes (NeedWhole when they do not suffice).
    The first bytes decide whether a decoder is reached at all: only the formats fitter
    trusts are opened, whatever the file's name says.
    """
    head = original[:HEAD_BYTES] if isinstance(original, bytes) else read_head(original)
    kind = sniff(head)
    if kind is None:
        raise NotAnImage(
            "the source is not a supported image (jpeg, png, webp, avif, heif, gif, tiff)", "path"
        )
    if kind == "svg" and not enable_svg:
        raise NotAnImage("svg sources are disabled on this server", "path")
    if partial and kind not in HEADER_FIRST:
        raise NeedWhole
    try:
        image = open_image(detached(original, kind))
    except NotAnImage:
        if partial:
            raise NeedWhole from None
        raise
    fields = set(image.get_fields())
    orientation = image.get("orientation") if "orientation" in fields else 1
    width, height = image.width, image.height
    # Opened without n=-1, the image is its first frame; n-pages counts them all.
    frames = image.get("n-pages") if "n-pages" in fields else 1
    if orientation in ROTATING_ORIENTATIONS:
        width, height = height, width
    return SourceInfo(
        format=format_of(image, fields),
        width=width,
        height=height,
        frames=frames,
        has_alpha=bool(image.hasalpha()),
        orientation=orientation,
        bytes=size,
    )


def format_of(image: pyvips.Image, fields: set[str]) -> str:
    loader = str(image.get("vips-loader")).removesuffix("_source").removesuffix("_buffer")
    if loader == "heifload":
        compression = image.get("heif-compression") if "heif-compression" in fields else ""
        return "avif" if compression == "av1" else "heic"
    return LOADER_FORMATS.get(loader, loader.removesuffix("load"))
