"""Storage backends: `Source` reads originals, `Store` keeps variants (see `base`)."""

from __future__ import annotations

from fitter.storage.base import Original, Source, SourceStat, Store

__all__ = ["Original", "Source", "SourceStat", "Store"]
