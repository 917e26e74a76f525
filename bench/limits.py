"""The physical limits of one source, in-process, no HTTP: what any server could reach.

- ceiling: the fastest pyvips path for the same work a server does (load with
  shrink-on-load, resize into the box, `jpegsave_buffer(Q=80)`), for the same distinct boxes;
- floor: the decode alone, at the same shrink (every pixel pulled through `avg()`).

Run as its own process (`python bench/limits.py SOURCE --seconds S --threads N`), so the
harness's own libvips state cannot help or hurt it; it prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pyvips
from sizes import box, inside
from timing import images_per_second

# Shrink-on-load factors libjpeg can decode at directly (and we reuse for WebP's `scale`).
SHRINKS = (8, 4, 2, 1)


def shrink_for(width: int, height: int, out: tuple[int, int]) -> int:
    """The largest load shrink that still leaves at least the output size to resize from."""
    for shrink in SHRINKS:
        if width // shrink >= out[0] and height // shrink >= out[1]:
            return shrink
    return 1


def load(path: Path, shrink: int) -> pyvips.Image:
    """Open with the loader's own shrink-on-load where it has one."""
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        return pyvips.Image.new_from_file(str(path), shrink=shrink, access="sequential")
    if suffix == ".webp":
        return pyvips.Image.new_from_file(str(path), scale=1 / shrink, access="sequential")
    return pyvips.Image.new_from_file(str(path), access="sequential")


def make_work(path: Path, kind: str) -> Callable[[int], object]:
    """One unit of work for request number n."""
    header = pyvips.Image.new_from_file(str(path))
    width, height = header.width, header.height

    def ceiling(n: int) -> bytes:
        out = inside(width, height, *box(n))
        image = load(path, shrink_for(width, height, out))
        image = image.resize(out[0] / image.width, vscale=out[1] / image.height)
        return image.jpegsave_buffer(Q=80)

    def floor(n: int) -> float:
        out = inside(width, height, *box(n))
        return load(path, shrink_for(width, height, out)).avg()

    return ceiling if kind == "ceiling" else floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("--kind", choices=("ceiling", "floor"), required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    # Every box is new, as in the servers' uncached cases: a cache could only hold memory.
    pyvips.cache_set_max(0)
    result = images_per_second(make_work(args.source, args.kind), args.threads, args.seconds)
    result["vips_concurrency"] = pyvips.concurrency_get()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
