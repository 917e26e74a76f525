"""Storage backends: `Source` reads originals, `Store` keeps variants (see `base`)."""

from __future__ import annotations

from fitter.models import Original
from fitter.storage.base import Source, SourceStat, Store

__all__ = ["Original", "Source", "SourceStat", "Store"]
