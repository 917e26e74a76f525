"""What an original is, from its first bytes, before any decoder sees it.

The extension or Content-Type a file came with says nothing: a decoder is chosen by
content, and only decoders fitter trusts are ever reached (libvips' others are blocked in
`engine.setup`).
"""

from __future__ import annotations

# Brands of the ISO base media file format that libvips' heif loader reads.
HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
}
HEAD_BYTES = 1024  # enough to find an <svg> element after an XML prologue


def sniff(head: bytes) -> str | None:
    """The format of a file that starts with `head`, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith((b"<?xml", b"<!")) and b"<svg" in text):
        return "svg"
    return None
