"""The distinct boxes that "uncached" requests ask for, shared by wrk's script and the limits.

Request number n asks for a box of about 200x300 that no other number below
`DISTINCT_BOXES` asks for, so every request is a new variant (the server's key differs)
while the amount of work per request stays the same.
"""

from __future__ import annotations

WIDTHS = range(100, 301)
HEIGHTS = range(200, 401)
DISTINCT_BOXES = len(WIDTHS) * len(HEIGHTS)


def box(n: int) -> tuple[int, int]:
    """The n-th box; bench/wrk/distinct.lua computes the same sequence."""
    n %= DISTINCT_BOXES
    return WIDTHS[n % len(WIDTHS)], HEIGHTS[n // len(WIDTHS)]


def inside(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int]:
    """The size `fit=inside` (thumbor: `fit-in`) gives a width x height source in the box."""
    scale = min(box_width / width, box_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))
