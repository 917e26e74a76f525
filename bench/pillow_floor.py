"""The JPEG decode floor with Pillow's libjpeg-turbo, for comparison with libvips' own.

pyvips-binary decodes JPEG with the mozjpeg it bundles; Pillow (thumbor's engine) bundles
libjpeg-turbo. Both decode at 1/8 scale here (Pillow's `draft`), so the difference between
this floor and bench/limits.py's is the decoder library, which no server code can change.
Run with thumbor's Python (it has Pillow): `python bench/pillow_floor.py SOURCE ...`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from PIL import Image
from sizes import box, inside
from timing import images_per_second


def decode(path: Path, n: int) -> None:
    with Image.open(path) as image:
        image.draft("RGB", inside(image.width, image.height, *box(n)))
        image.load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    result = images_per_second(lambda n: decode(args.source, n), args.threads, args.seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
