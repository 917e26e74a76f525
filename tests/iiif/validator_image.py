"""The IIIF validator's test image, drawn from the validator's own colour table.

`iiif-validator` samples a 1000x1000 image of 10x10 squares of 100 px whose colours are in
its `ValidationInfo.colorInfo`, under the identifier `67352ccc-d1b0-11e1-89ae-279075081939`,
but does not ship it. Run with fitter's Python (it has pyvips) to write it into a folder:

    .venv/bin/python tests/iiif/validator_image.py images
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyvips

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / ".venv-iiif" / "bin"
IDENTIFIER = "67352ccc-d1b0-11e1-89ae-279075081939"


def validator_colours() -> list[list[list[int]]]:
    """`colorInfo[x][y]`: the colour of the square in column x, row y."""
    assert (VALIDATOR / "iiif-validate.py").is_file(), "run `make test` (it installs .venv-iiif)"
    code = (
        "import json, sys; from iiif_validator.validator import ValidationInfo; "
        "sys.stderr.write(json.dumps(ValidationInfo().colorInfo))"
    )
    # The validator prints to stdout when it is imported: the table goes to stderr.
    done = subprocess.run(
        [VALIDATOR / "python", "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(done.stderr)


def make_test_image(folder: Path) -> Path:
    """The image as a PNG (lossless) named by the identifier: fitter sniffs its type."""
    colours = validator_colours()
    pixels = bytes(c for row in range(10) for column in range(10) for c in colours[column][row])
    grid = pyvips.Image.new_from_memory(pixels, 10, 10, 3, "uchar")
    path = folder / IDENTIFIER
    grid.copy(interpretation="srgb").zoom(100, 100).pngsave(str(path))
    return path


if __name__ == "__main__":
    print(make_test_image(Path(sys.argv[1] if len(sys.argv) > 1 else "images")))
