"""The official IIIF Image API validator against the real server, at compliance level 2.

`iiif-validator` 1.0.5 from PyPI, in its own virtualenv (`make test` makes `.venv-iiif`),
runs every level 2 test of version 3.0, and of version 2.0 for the `/iiif/2/` endpoints
(its "2.1" mode selects no test at all; its 2.0 tests are the 2.x ones). Its test image
is not in the package: it is made here from the validator's own colour table, a 10x10
grid of 100 px squares whose colours its tests sample (tests/iiif/validator_image.py).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

# tests/iiif/validator_image.py is also a script; loaded by its path, not as a package.
_spec = importlib.util.spec_from_file_location(
    "validator_image", Path(__file__).parent.parent / "iiif" / "validator_image.py"
)
assert _spec and _spec.loader
validator_image = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validator_image)
VALIDATOR = validator_image.VALIDATOR
IDENTIFIER = validator_image.IDENTIFIER
LEVEL_2 = {
    "baseurl_redirect",
    "cors",
    "format_error_random",
    "format_jpg",
    "format_png",
    "id_basic",
    "id_error_escapedslash",
    "id_error_random",
    "id_error_unescaped",
    "id_escaped",
    "id_squares",
    "info_json",
    "jsonld",
    "quality_bitonal",
    "quality_color",
    "quality_error_random",
    "quality_grey",
    "region_error_random",
    "region_percent",
    "region_pixels",
    "rot_error_random",
    "rot_full_basic",
    "rot_region_basic",
    "size_bwh",
    "size_ch",
    "size_error_random",
    "size_percent",
    "size_region",
    "size_wc",
    "size_wh",
}
EXPECTED = {
    "3.0": LEVEL_2 | {"region_square", "size_nofull", "size_noup"},
    "2.0": LEVEL_2,
}
RESULT = re.compile(r"^\[\d+\] test (\S+) (PASS|FAIL)$")


@pytest.fixture
def iiif_server(make_server, tmp_path: Path):
    root = tmp_path / "sources"
    root.mkdir()
    validator_image.make_test_image(root)
    storage = {
        "source": {"type": "fs", "location": str(root)},
        "store": {"type": "fs", "location": str(tmp_path / "store")},
    }
    return make_server(storage=storage)


def run_validator(url: str, version: str) -> tuple[dict[str, str], str]:
    """Each test's PASS or FAIL, and the validator's whole report."""
    done = subprocess.run(
        [
            VALIDATOR / "python",
            VALIDATOR / "iiif-validate.py",
            "--server",
            url.removeprefix("http://"),
            "--prefix",
            f"iiif/{version[0]}",
            "--identifier",
            IDENTIFIER,
            "--version",
            version,
            "--level",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = done.stdout + done.stderr
    results = {}
    for line in report.splitlines():
        found = RESULT.match(line.strip())
        if found:
            results[found.group(1)] = found.group(2)
    return results, report


def failures(report: str) -> str:
    """Each failed test with the URLs, expectation and message the validator printed."""
    blocks, keep = [], False
    for line in report.splitlines():
        if RESULT.match(line.strip()):
            keep = line.strip().endswith("FAIL")
        if keep:
            blocks.append(line)
    return "\n".join(blocks)


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_the_official_validator_passes_every_level_2_test(iiif_server, version):
    results, report = run_validator(iiif_server.url, version)
    failed = sorted(name for name, outcome in results.items() if outcome == "FAIL")
    assert not failed, f"IIIF {version} validator failed {failed}:\n{failures(report)}"
    missing = sorted(EXPECTED[version] - set(results))
    assert not missing, f"IIIF {version}: these tests did not run: {missing}\n{report}"
    assert f"Done ({len(results)} tests, 0 failures)" in report, report
