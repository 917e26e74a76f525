"""Writing a libvips image in the output format, keeping only the colour profile."""

from __future__ import annotations

import pyvips

from fitter.engine.deadline import Deadline
from fitter.plan import ImageFormat, Output

# Strip EXIF, XMP and GPS: a resized photograph should not publish where it was taken.
KEEP_ICC = pyvips.enums.ForeignKeep.ICC
KEEP_NOTHING = pyvips.enums.ForeignKeep.NONE
# libvips' default AVIF effort (4) takes over a second for an 800 px image on one core.
AVIF_EFFORT = 2


def encode(image: pyvips.Image, output: Output, deadline: Deadline | None = None) -> bytes:
    """The encoded image; with `max_bytes`, at the highest quality that fits (or the
    lowest, when none does), found by halving the range of qualities. Formats without a
    quality (png, gif) are encoded once, whatever their size."""
    if output.max_bytes is None or output.quality is None:
        return encode_at(image, output, output.quality)
    # Encoding more than once reads the pixels more than once: compute them once.
    deadline = deadline or Deadline()
    image = deadline.in_memory(image)
    low, high = 1, output.quality
    best = encode_at(image, output, high)
    if len(best) <= output.max_bytes:
        return best
    while low < high:
        deadline.check()
        middle = (low + high) // 2
        data = encode_at(image, output, middle)
        if len(data) <= output.max_bytes:
            best, low = data, middle + 1
        else:
            high = middle
            if len(data) < len(best):
                best = data
    return best


def encode_at(image: pyvips.Image, output: Output, quality: int | None) -> bytes:
    fmt = output.format
    keep = KEEP_ICC if output.keep_icc else KEEP_NOTHING
    data: bytes
    if fmt is ImageFormat.JPEG:
        data = image.jpegsave_buffer(Q=quality, keep=keep)
    elif fmt is ImageFormat.PNG:
        data = image.pngsave_buffer(keep=keep)
    elif fmt is ImageFormat.WEBP:
        data = image.webpsave_buffer(Q=quality, keep=keep)
    elif fmt is ImageFormat.AVIF:
        data = image.heifsave_buffer(Q=quality, compression="av1", effort=AVIF_EFFORT, keep=keep)
    else:
        data = image.gifsave_buffer(keep=keep)
    return data
