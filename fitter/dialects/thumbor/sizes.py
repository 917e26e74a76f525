"""thumbor's size rules, as pure functions of the URL and the source's size: `orig`,
the crop clipped to the image, a missing side from the aspect ratio (rounded half to
even), `no_upscale()` caps, and fit-in's enlarging with `upscale()`.

They are apart from `to_plan` so that they can be checked with plain numbers.
"""

from __future__ import annotations

from fitter.dialects.thumbor.grammar import ORIG, ThumborUrl


def needs_source(url: ThumborUrl) -> bool:
    """Whether the plan depends on the source's size (read from its cached header)."""
    sized = url.width or url.height
    one_side = bool(sized) and not (url.width and url.height)
    upscale = url.options.upscale
    return bool(sized) and (
        url.adaptive
        or ORIG in (url.width, url.height)
        or one_side
        or upscale is False
        or (url.fit_in and upscale is True)
    )


def region_size(url: ThumborUrl, source: tuple[int, int]) -> tuple[int, int]:
    """The size the size stage starts from: the crop, clipped to the image as thumbor does."""
    if url.crop is None:
        return source
    left, top, right, bottom = url.crop
    width, height = source
    right, bottom = min(right, width), min(bottom, height)
    left, top = min(left, width), min(top, height)
    if right <= left or bottom <= top:
        return source
    return right - left, bottom - top


def requested_size(
    url: ThumborUrl, start: tuple[int, int], source: tuple[int, int]
) -> tuple[int, int]:
    """The sides as asked: `orig` is the starting image's side, and `no_upscale()` caps
    them at the whole source's size (thumbor does so before trimming or cropping)."""
    width = start[0] if url.width == ORIG else url.width
    height = start[1] if url.height == ORIG else url.height
    if url.options.upscale is False:
        width, height = min(width, source[0]), min(height, source[1])
    return width, height


def target_size(requested: tuple[int, int], start: tuple[int, int]) -> tuple[int, int]:
    """thumbor's target box: a missing side follows the aspect ratio, rounded half to even
    (Python's `round`, as thumbor uses)."""
    width, height = requested
    if not width and not height:
        return start
    if not width:
        width = round(height * start[0] / start[1])
    if not height:
        height = round(width * start[1] / start[0])
    return max(width, 1), max(height, 1)


def upscaled_size(start: tuple[int, int], box: tuple[int, int]) -> tuple[int, int] | None:
    """fit-in with upscale() on an image smaller than the box: thumbor enlarges it to touch
    the box, rounding the other side down. None when fit-in's own shrinking applies."""
    (src_w, src_h), (box_w, box_h) = start, box
    if src_w >= box_w or src_h >= box_h:
        return None
    if src_w / box_w >= src_h / box_h:
        return box_w, max(1, src_h * box_w // src_w)
    return max(1, src_w * box_h // src_h), box_h
