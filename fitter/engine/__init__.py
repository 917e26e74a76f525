"""The engine: the only package that imports pyvips.

`probe` reads an original's header; `render` runs a Plan on an original and encodes it.
Both are blocking and meant to run in the server's bounded thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from fitter.engine.encode import encode
from fitter.engine.load import probe
from fitter.engine.steps import STEPS, Job, finish, page_height
from fitter.errors import NotAnImage
from fitter.models import Original, SourceInfo
from fitter.plan import Output, Plan

__all__ = ["Original", "Rendered", "probe", "render", "setup"]


@dataclass(frozen=True)
class Rendered:
    data: bytes
    width: int
    height: int


def setup() -> None:
    """Turn off libvips' operation cache.

    It is keyed by file name, so an original replaced in place would be served stale;
    and every variant is distinct anyway, so it would only hold memory.
    """
    pyvips.cache_set_max(0)


def render(
    plan: Plan, output: Output, original: Original, info: SourceInfo, limit: tuple[int, int]
) -> Rendered:
    job = Job(plan=plan, output=output, info=info, original=original, limit=limit)
    try:
        # libvips is lazy: a corrupt source fails wherever pixels are first read, which
        # may be a smart crop's search as well as the final encode.
        image = finish(STEPS[plan.mode](job), job)
        data = encode(image, output)
    except pyvips.Error as error:
        raise NotAnImage("the source could not be decoded", "path") from error
    return Rendered(data=data, width=image.width, height=page_height(image))
