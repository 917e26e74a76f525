"""Writing a libvips image in the output format, keeping only the colour profile."""

from __future__ import annotations

import pyvips

from fitter.plan import ImageFormat, Output

# Strip EXIF, XMP and GPS: a resized photograph should not publish where it was taken.
KEEP_ICC = pyvips.enums.ForeignKeep.ICC
# libvips' default AVIF effort (4) takes over a second for an 800 px image on one core.
AVIF_EFFORT = 2


def encode(image: pyvips.Image, output: Output) -> bytes:
    fmt, quality = output.format, output.quality
    if fmt is ImageFormat.JPEG:
        return image.jpegsave_buffer(Q=quality, keep=KEEP_ICC)
    if fmt is ImageFormat.PNG:
        return image.pngsave_buffer(keep=KEEP_ICC)
    if fmt is ImageFormat.WEBP:
        return image.webpsave_buffer(Q=quality, keep=KEEP_ICC)
    if fmt is ImageFormat.AVIF:
        return image.heifsave_buffer(
            Q=quality, compression="av1", effort=AVIF_EFFORT, keep=KEEP_ICC
        )
    return image.gifsave_buffer(keep=KEEP_ICC)
