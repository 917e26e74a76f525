"""The encoding of an answer: formats fitter writes, and the choice among them.

A Plan may say `original` or `auto` for its format; `choose` turns that into one concrete
`Output` once the source's header and the client's `Accept` are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fitter.accept import media_weights
from fitter.models import SourceInfo


class ImageFormat(StrEnum):
    """A format fitter can write."""

    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    AVIF = "avif"
    GIF = "gif"

    @property
    def extension(self) -> str:
        return "jpg" if self is ImageFormat.JPEG else self.value

    @property
    def media_type(self) -> str:
        return f"image/{self.value}"

    @property
    def has_quality(self) -> bool:
        return self in QUALITY_DEFAULTS

    @property
    def can_animate(self) -> bool:
        return self in (ImageFormat.GIF, ImageFormat.WEBP)

    @property
    def has_alpha(self) -> bool:
        return self is not ImageFormat.JPEG


ORIGINAL = "original"
AUTO = "auto"
RequestedFormat = ImageFormat | str  # an ImageFormat, ORIGINAL or AUTO

# Every name a request may give a format by.
FORMAT_NAMES: dict[str, RequestedFormat] = {f.value: f for f in ImageFormat} | {
    "jpg": ImageFormat.JPEG,
    ORIGINAL: ORIGINAL,
    AUTO: AUTO,
}
QUALITY_DEFAULTS = {ImageFormat.JPEG: 80, ImageFormat.WEBP: 80, ImageFormat.AVIF: 50}
WRITABLE = {f.value for f in ImageFormat}
# Multi-frame TIFF or HEIC files are pages, not animations: they fall back to a still image.
ANIMATED_FORMATS = {"gif", "webp"}


@dataclass(frozen=True)
class Output:
    """The concrete encoding of one variant."""

    format: ImageFormat
    quality: int | None
    keep_icc: bool = True
    max_bytes: int | None = None

    def canonical(self) -> str:
        text = f"{self.format}" if self.quality is None else f"{self.format},q={self.quality}"
        if not self.keep_icc:
            text += ",strip_icc"
        if self.max_bytes is not None:
            text += f",max_bytes={self.max_bytes}"
        return text


def choose(
    requested: RequestedFormat,
    quality: int | None,
    info: SourceInfo,
    accept: str | None,
    *,
    keep_icc: bool = True,
    max_bytes: int | None = None,
) -> Output:
    """The format and quality of the answer, from what was asked, the source and the client."""
    if requested == AUTO:
        fmt = negotiate(accept or "", info)
    elif requested == ORIGINAL:
        fmt = fallback_format(info) if info.format not in WRITABLE else ImageFormat(info.format)
    else:
        fmt = ImageFormat(requested)
    chosen = (quality or QUALITY_DEFAULTS[fmt]) if fmt.has_quality else None
    return Output(fmt, chosen, keep_icc=keep_icc, max_bytes=max_bytes)


def fallback_format(info: SourceInfo) -> ImageFormat:
    """For a source fitter cannot write, or a client that takes neither avif nor webp."""
    if info.frames > 1 and info.format in ANIMATED_FORMATS:
        return ImageFormat.GIF
    return ImageFormat.PNG if info.has_alpha else ImageFormat.JPEG


def negotiate(accept: str, info: SourceInfo) -> ImageFormat:
    """Pick avif, then webp, then the fallback, by the q-values the client gave.

    Only explicit `image/avif` and `image/webp` entries count: a client that says `*/*`
    has not said it can decode them.
    """
    weights = media_weights(accept)
    candidates = [ImageFormat.WEBP] if info.frames > 1 else [ImageFormat.AVIF, ImageFormat.WEBP]
    best = max(candidates, key=lambda f: weights.get(f.media_type, 0.0))
    if weights.get(best.media_type, 0.0) > 0:
        return best
    return fallback_format(info)
