"""The source side: an original's version, its header, and the limits they are held to.

`max_source_bytes` is checked from the source's `stat`, before any of its body is read,
on every path (`/info`, IIIF, thumbor's `meta`, every render). A header is read once
per version of the source: from the first bytes where the backend can read them alone
(a ranged read of an S3 object; a local file, which libvips opens itself) and the format
allows, else from the whole original (a small one is read whole at once). What was read
whole is kept for the render that follows in the same request, so a request reads an
original whole at most once; work queued for later (`/show`'s) reads it again when it
runs, so that the queue holds no image.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from fitter import engine
from fitter.config import Limits
from fitter.errors import OverLimits, TooLarge
from fitter.flight import SingleFlight
from fitter.lru import LRU
from fitter.models import Original, SourceInfo
from fitter.service.pool import ImagePool
from fitter.storage import Source, SourceStat

# The first bytes read for a header: a JPEG's EXIF, ICC profile and tables fit in this
# but for rare, larger ones (which are then read whole).
HEADER_BYTES = 64 * 1024
REMEMBERED = 4096


@dataclass(frozen=True)
class Opened:
    """An original whose version and header are known, within `max_source_bytes`.

    `body` is the whole original when it had to be read for the header (kept for this
    request's render, never cached)."""

    path: str
    stat: SourceStat
    info: SourceInfo
    body: Original | None = field(default=None, compare=False, repr=False)

    def without_body(self) -> Opened:
        return Opened(self.path, self.stat, self.info)


class Originals:
    """Versions are trusted for `source_ttl` seconds: a cached answer then costs no call to
    the source, and an original replaced in place is seen within that time."""

    def __init__(self, source: Source, pool: ImagePool, limits: Limits, source_ttl: float) -> None:
        self.source = source
        self.pool = pool
        self.limits = limits
        self._stats: LRU[str, SourceStat] = LRU(REMEMBERED, ttl=source_ttl)
        self._headers: LRU[tuple[str, str], SourceInfo] = LRU(REMEMBERED)
        self._stating: SingleFlight[str, SourceStat] = SingleFlight()
        self._reading: SingleFlight[tuple[str, str], Opened] = SingleFlight()

    async def stat(self, path: str) -> SourceStat:
        known = self._stats.get(path)
        if known is not None:
            return known
        stat = await self._stating.run(path, lambda: self.source.stat(path))
        if self._stats.ttl:
            self._stats.put(path, stat)
        return stat

    async def opened(self, path: str) -> Opened:
        """The original's version and header (TooLarge over `max_source_bytes`)."""
        stat = await self.stat(path)
        if stat.size > self.limits.max_source_bytes:
            raise TooLarge(
                f"the source has {stat.size} bytes, over the limit of "
                f"{self.limits.max_source_bytes}",
                "path",
            )
        key = (path, stat.version)
        info = self._headers.get(key)
        if info is not None:
            return Opened(path, stat, info)
        opened = await self._reading.run(key, lambda: self._read_header(path, stat))
        self._headers.put(key, opened.info)
        return opened

    async def checked(self, path: str) -> Opened:
        """`opened`, and within `max_source_pixels` (OverLimits): ready to be rendered."""
        opened = await self.opened(path)
        info = opened.info
        pixels = info.width * info.height * info.frames
        if pixels > self.limits.max_source_pixels:
            raise OverLimits(
                f"the source has {pixels} pixels, over the limit of "
                f"{self.limits.max_source_pixels}",
                "path",
            )
        return opened

    async def body(self, opened: Opened) -> Original:
        """The whole original: what was read for its header, else read now."""
        if opened.body is not None:
            return opened.body
        return await self.source.load(opened.path)

    async def _read_header(self, path: str, stat: SourceStat) -> Opened:
        if stat.size <= HEADER_BYTES:
            # Small enough to read whole in one plain request (an empty one included: a
            # ranged read of nothing is an error to S3).
            head = await self.source.load(path)
        else:
            head = await self.source.head(path, HEADER_BYTES)
        partial = isinstance(head, bytes) and len(head) < stat.size
        probe = functools.partial(engine.probe, size=stat.size, enable_svg=self.limits.svg)
        try:
            info = await self.pool.run(functools.partial(probe, partial=partial), head)
        except engine.NeedWhole:
            whole = await self.source.load(path)
            return Opened(path, stat, await self.pool.run(probe, whole), whole)
        return Opened(path, stat, info, head if isinstance(head, bytes) and not partial else None)
