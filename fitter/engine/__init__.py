"""The engine: the only package that imports pyvips.

`probe` reads an original's header; `render` runs a Job (a plan on an original, with the
sizes worked out from its header) and encodes it. Both are blocking and meant to run in
the server's bounded thread pool. The package, in the order a render meets it: `sniff`,
`probe`, `load`, `job`, `steps/` (size, flip, rotate, filters, finish), `filters/`,
`encode`, with `pixels` and `deadline` shared.
"""

from __future__ import annotations

import pyvips

from fitter.engine.job import Job
from fitter.engine.probe import NeedWhole, probe
from fitter.engine.render import Rendered, render

__all__ = ["Job", "NeedWhole", "Rendered", "probe", "render", "setup"]

# The loaders fitter trusts; every other libvips loader (csv, matrix, raw, vips, and any a
# future libvips adds) is blocked, so no crafted file can reach it.
TRUSTED_LOADERS = ("Jpeg", "Png", "Webp", "Nsgif", "Tiff", "Heif", "Uhdr")


def setup(enable_svg: bool = False) -> None:
    """Block untrusted loaders and turn off libvips' operation cache.

    The cache is keyed by file name, so an original replaced in place would be served
    stale; and every variant is distinct anyway, so it would only hold memory.
    """
    pyvips.cache_set_max(0)
    # One libvips thread per image: the server runs several images at once instead, which
    # spends no time starting and joining a thread pool inside each small image.
    pyvips.concurrency_set(1)
    pyvips.operation_block_set("VipsForeignLoad", True)
    for name in (*TRUSTED_LOADERS, *(("Svg",) if enable_svg else ())):
        pyvips.operation_block_set(f"VipsForeignLoad{name}", False)
