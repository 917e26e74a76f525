"""Uploads: originals sent to fitter and kept in its source storage.

The content decides, never the name: an upload is probed like any source (only trusted
formats, pixel limits from the header) before a byte is written, and written atomically.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from fitter import engine
from fitter.errors import Conflict, InvalidRequest, NotAnImage, OverLimits, TooLarge
from fitter.models import SourceInfo
from fitter.paths import clean_path
from fitter.service import Service
from fitter.storage import Store

EXTENSIONS = {
    "jpeg": "jpg",
    "png": "png",
    "webp": "webp",
    "gif": "gif",
    "tiff": "tif",
    "avif": "avif",
    "heic": "heic",
    "svg": "svg",
}


@dataclass(frozen=True)
class UploadRules:
    max_bytes: int
    overwrite: bool


class Uploads:
    def __init__(self, target: Store, service: Service, rules: UploadRules) -> None:
        self.target = target
        self.service = service
        self.rules = rules

    async def save(
        self, data: bytes, path: str | None, filename: str | None
    ) -> tuple[str, SourceInfo]:
        """Check and keep one upload; the clean path it was kept under, and its header."""
        if len(data) > self.rules.max_bytes:
            raise TooLarge(f"the upload is over the limit of {self.rules.max_bytes} bytes", "file")
        limits = self.service.originals.limits
        try:
            probe = functools.partial(engine.probe, size=len(data), enable_svg=limits.svg)
            info = await self.service.pool.run(probe, data)
        except NotAnImage as error:
            raise NotAnImage(
                error.problems[0].message.replace("source", "upload"), "file"
            ) from None
        pixels = info.width * info.height * info.frames
        if pixels > limits.max_source_pixels:
            raise OverLimits(f"the upload has {pixels} pixels, over the limit", "file")
        name = self.name_for(data, info, path, filename)
        if not self.rules.overwrite and await self.target.exists(name):
            raise Conflict(f"{name} exists already", "path")
        await self.target.save(name, data, f"image/{info.format}")
        return name, info

    def name_for(
        self, data: bytes, info: SourceInfo, path: str | None, filename: str | None
    ) -> str:
        """The given path, else the file's own name, else one made from its content."""
        if path is not None:
            name = clean_path(path)
        elif filename and clean_name(filename):
            name = clean_name(filename)
        else:
            digest = hashlib.sha256(data).hexdigest()[:20]
            name = f"uploads/{digest}.{EXTENSIONS.get(info.format, info.format)}"
        segments = name.split("/")
        if any(s.startswith(".") for s in segments) or self.service.naming.is_variant(name):
            raise InvalidRequest.one("path", "path may not be hidden or look like a variant name")
        return name


def clean_name(filename: str) -> str:
    """A browser's file name, reduced to a safe last segment (or '' when nothing is left)."""
    last = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in last if c.isalnum() or c in "._- ").strip(". ")
