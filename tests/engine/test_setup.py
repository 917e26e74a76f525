"""`engine.setup`: only the loaders fitter trusts are reachable, SVG only when asked.

libvips keeps this per process: the test puts back what applications get by default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import pyvips

from fitter import engine

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="3">'
    b'<rect width="4" height="3"/></svg>'
)


@pytest.fixture
def restored() -> Iterator[None]:
    yield
    engine.setup(enable_svg=False)


def test_untrusted_loaders_are_blocked(restored: None, tmp_path: Path) -> None:
    engine.setup(enable_svg=False)
    matrix = tmp_path / "m.mat"
    matrix.write_text("2 2\n1 2\n3 4\n")
    with pytest.raises(pyvips.Error):
        pyvips.Image.new_from_file(str(matrix)).avg()
    with pytest.raises(pyvips.Error):
        pyvips.Image.new_from_buffer(SVG, "").avg()
    # A trusted loader still works.
    png = pyvips.Image.black(4, 3).pngsave_buffer()
    assert pyvips.Image.new_from_buffer(png, "").width == 4


def test_svg_is_reachable_only_when_asked(restored: None) -> None:
    engine.setup(enable_svg=True)
    assert pyvips.Image.new_from_buffer(SVG, "").width == 4
    engine.setup(enable_svg=False)
    with pytest.raises(pyvips.Error):
        pyvips.Image.new_from_buffer(SVG, "")
