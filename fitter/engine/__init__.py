"""The engine: the only package that imports pyvips.

`probe` reads an original's header; `render` runs a Plan on an original and encodes it.
Both are blocking and meant to run in the server's bounded thread pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyvips

from fitter.engine.deadline import Deadline, Expired
from fitter.engine.encode import encode
from fitter.engine.load import detached, probe
from fitter.engine.pixels import page_height
from fitter.engine.steps import Job, run
from fitter.errors import GatewayTimeout, NotAnImage
from fitter.models import Original, SourceInfo
from fitter.plan import Output, Plan

__all__ = ["Original", "Rendered", "probe", "render", "setup"]


@dataclass(frozen=True)
class Rendered:
    data: bytes
    width: int
    height: int


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


def render(
    plan: Plan,
    output: Output,
    original: Original,
    info: SourceInfo,
    limit: tuple[int, int],
    seconds: float | None = None,
    extras: Mapping[str, Original] | None = None,
) -> Rendered:
    """Run `plan` on `original`; past `seconds` of pixel work libvips is stopped (504).

    `extras` are the other sources the plan's filters read, by path (a watermark)."""
    original = detached(original, info.format)
    deadline = Deadline.after(seconds)
    job = Job(plan, output, info, original, limit, extras or {}, deadline)
    try:
        # libvips is lazy: a corrupt source fails wherever pixels are first read, which
        # may be a smart crop's search as well as the final encode.
        image = run(job)
        deadline.watch(image)
        data = encode(image, output, deadline)
    except Expired:
        raise GatewayTimeout(f"processing took longer than {seconds:g} s", "path") from None
    except pyvips.Error as error:
        if "killed" in str(error):
            raise GatewayTimeout(f"processing took longer than {seconds:g} s", "path") from None
        raise NotAnImage("the source could not be decoded", "path") from error
    return Rendered(data=data, width=image.width, height=page_height(image))
