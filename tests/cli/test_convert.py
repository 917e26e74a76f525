"""`fitter convert` on real photographs and edge cases.

The command runs in this process (typer's CliRunner), as a fresh process would see it: its
working directory a test's own folder, no FITTER_* variable, stderr not a terminal. One test
runs it as a user does (`python -m fitter convert`), for the entry point itself.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import pyvips
import yaml

from support.command import count, fitter
from support.services import run_fitter

PHOTO_SIZE = (2560, 1600)


def size(path: Path) -> tuple[int, int]:
    image = pyvips.Image.new_from_file(str(path))
    return image.width, image.height


@pytest.fixture
def tree(tmp_path: Path, photos: Path) -> Path:
    """Real photos in nested folders, with a file and a folder a walk must pass over."""
    src = tmp_path / "src"
    names = sorted(p.name for p in photos.glob("*.jpg") if "5120" not in p.name)[:5]
    places = ["", "2024/", "2024/summer/", "2024/summer/", "misc/"]
    for name, place in zip(names, places, strict=True):
        (src / place).mkdir(parents=True, exist_ok=True)
        shutil.copy(photos / name, src / place / name)
    (src / "README.txt").write_text("not an image, not named like one\n")
    (src / ".hidden").mkdir()
    shutil.copy(photos / names[0], src / ".hidden" / names[0])
    return src


def relative_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_a_folder_keeps_its_tree_at_exact_sizes(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = fitter("convert", str(tree), "-o", str(out), "-w", "400", "-h", "300")
    assert done.exit_code == 0, done.stderr
    expected = [
        p.relative_to(tree).as_posix()
        for p in tree.rglob("*.jpg")
        if not p.relative_to(tree).as_posix().startswith(".")
    ]
    assert relative_files(out) == sorted(expected)
    assert len(expected) == 5
    for name in expected:
        assert size(out / name) == (400, 300)
        # Ordinary permissions, not the private ones of a scratch file.
        assert (out / name).stat().st_mode & 0o044 == 0o044
    assert count(done.stdout, "converted") == 5
    assert count(done.stdout, "failed") == 0
    bytes_in = sum((tree / name).stat().st_size for name in expected)
    assert count(done.stdout, "bytes in") == bytes_in
    assert count(done.stdout, "bytes out") == sum((out / n).stat().st_size for n in expected)


def test_format_gives_the_extension_and_a_derived_height(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = fitter(
        "convert", str(tree / "2024"), "-o", str(out), "--width", "320", "--format", "webp",
        "--jobs", "2",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    files = relative_files(out)
    assert len(files) == 3 and all(f.endswith(".webp") for f in files)
    assert "summer" in {f.split("/")[0] for f in files}
    for name in files:
        image = pyvips.Image.new_from_file(str(out / name))
        assert (image.width, image.height) == (320, 200)
        assert image.get("vips-loader").startswith("webpload")


def test_files_and_globs_land_in_the_output_folder(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    one = next((tree / "misc").glob("*.jpg"))
    pattern = str(tree / "2024" / "summer" / "*.jpg")
    done = fitter("convert", str(one), pattern, "-o", str(out), "-h", "100")
    assert done.exit_code == 0, done.stderr
    summer = sorted(p.name for p in (tree / "2024" / "summer").glob("*.jpg"))
    assert relative_files(out) == sorted([one.name, *summer])
    assert all(size(out / name) == (160, 100) for name in relative_files(out))


def test_newer_outputs_are_skipped_unless_forced(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = fitter("convert", str(tree), "-o", str(out), "-w", "200")
    assert count(first.stdout, "converted") == 5
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.jpg")}

    again = fitter("convert", str(tree), "-o", str(out), "-w", "200")
    assert again.exit_code == 0, again.stderr
    assert (count(again.stdout, "converted"), count(again.stdout, "skipped")) == (0, 5)
    assert count(again.stdout, "bytes out") == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.jpg")} == stamps

    # An input changed after its output was made is converted again, alone.
    touched = next((tree / "misc").glob("*.jpg"))
    later = stamps[out / "misc" / touched.name] + 5_000_000_000
    os.utime(touched, ns=(later, later))
    third = fitter("convert", str(tree), "-o", str(out), "-w", "200")
    assert (count(third.stdout, "converted"), count(third.stdout, "skipped")) == (1, 4)
    assert (out / "misc" / touched.name).stat().st_mtime_ns != stamps[out / "misc" / touched.name]

    forced = fitter("convert", str(tree), "-o", str(out), "-w", "200", "--force")
    assert (count(forced.stdout, "converted"), count(forced.stdout, "skipped")) == (5, 0)


def test_an_output_folder_inside_the_input_is_not_read_back(tree: Path, tmp_path: Path) -> None:
    out = tree / "web"
    first = fitter("convert", str(tree), "-o", str(out), "-w", "100")
    assert count(first.stdout, "converted") == 5
    again = fitter("convert", str(tree), "-o", str(out), "-w", "100")
    assert (count(again.stdout, "converted"), count(again.stdout, "skipped")) == (0, 5)
    assert not (out / "web").exists()


def test_failures_do_not_stop_the_rest_and_are_listed(tmp_path: Path, photos: Path) -> None:
    """Run as a user runs it (`python -m fitter`): the entry point, its exit status and
    its two streams, from a real process."""
    src = tmp_path / "src"
    (src / "deep" / "er").mkdir(parents=True)
    pyvips.Image.black(64, 48).jpegsave(str(src / "deep" / "er" / "small.jpg"))
    shutil.copy(photos / "Autumn.jpg", src / "big.jpg")
    (src / "notes.jpg").write_text("a text file with an image's name\n")
    (src / "gone.png").symlink_to(tmp_path / "nowhere.png")  # unreadable: root reads anything
    config = tmp_path / "fitter.yaml"
    limits = {"max_source_pixels": 1_000_000}
    config.write_text(
        yaml.safe_dump({"storage": {"store": {"type": "fs", "location": "st"}}, "limits": limits})
    )
    out = tmp_path / "out"
    done = run_fitter(
        "convert", str(src), str(tmp_path / "missing.jpg"), str(tmp_path / "none-*.png"),
        "-o", str(out), "-w", "32", "--config", str(config), "--jobs", "3", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert relative_files(out) == ["deep/er/small.jpg"]
    assert size(out / "deep" / "er" / "small.jpg") == (32, 24)
    assert count(done.stdout, "converted") == 1
    assert count(done.stdout, "failed") == 5
    failed = {
        line.split(": ", 1)[0].removeprefix("failed "): line.split(": ", 1)[1]
        for line in done.stderr.splitlines()
        if line.startswith("failed ")
    }
    assert failed == {
        str(src / "big.jpg"): "the source has 4096000 pixels, over the limit of 1000000",
        str(src / "notes.jpg"): (
            "the source is not a supported image (jpeg, png, webp, avif, heif, gif, tiff)"
        ),
        str(src / "gone.png"): "No such file or directory",
        str(tmp_path / "missing.jpg"): "no such file or folder",
        str(tmp_path / "none-*.png"): "the pattern matches no file",
    }


def test_two_inputs_for_one_output_is_a_failure_not_an_overwrite(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    pyvips.Image.black(40, 40).pngsave(str(src / "same.png"))
    pyvips.Image.black(80, 80).jpegsave(str(src / "same.jpg"))
    out = tmp_path / "out"
    done = fitter("convert", str(src), "-o", str(out), "-w", "20", "--format", "jpg")
    assert done.exit_code == 1
    assert count(done.stdout, "converted") == 1
    assert "writes the same output" in done.stderr
    assert relative_files(out) == ["same.jpg"]


def test_a_bad_option_is_the_apis_error_and_status_2(
    tree: Path, tmp_path: Path, http: httpx.Client
) -> None:
    answer = http.get("/image", params={"path": "a.png", "width": "abc", "fit": "wide"})
    assert answer.status_code == 400
    messages = [problem["message"] for problem in answer.json()["errors"]]
    assert len(messages) == 2
    out = tmp_path / "out"
    done = fitter("convert", str(tree), "-o", str(out), "-w", "abc", "--fit", "wide")
    assert done.exit_code == 2
    assert [line.removeprefix("error ") for line in done.stderr.splitlines()] == messages
    assert not out.exists()  # nothing was done

    unknown = fitter("convert", str(tree), "-o", str(out), "--preset", "web")
    assert unknown.exit_code == 2
    assert "unknown preset 'web' (none are configured)" in unknown.stderr


PARAMETERS = [
    {"width": "400", "height": "300"},
    {"width": "500", "format": "webp", "quality": "70"},
    {"mode": "resize", "width": "300", "height": "300", "fit": "contain", "background": "navy"},
    {"mode": "crop", "width": "640", "height": "480", "gravity": "smart"},
    {"height": "240", "format": "png", "upscale": "false"},
]


@pytest.mark.parametrize("parameters", PARAMETERS, ids=urlencode)
def test_converted_files_are_the_servers_bytes(
    parameters: dict[str, str], images: Path, tmp_path: Path, http: httpx.Client
) -> None:
    """`http` is the application a real server runs, on the default settings."""
    source = images / "photos" / "Autumn.jpg"
    options = []
    for name, value in parameters.items():
        if name == "upscale":
            options.append("--upscale" if value == "true" else "--no-upscale")
        else:
            options += [f"--{name}", value]
    out = tmp_path / "out"
    done = fitter("convert", str(source), "-o", str(out), *options)
    assert done.exit_code == 0, done.stderr
    answer = http.get("/image", params={"path": "photos/Autumn.jpg", **parameters})
    assert answer.status_code == 200, answer.text
    [converted] = list(out.iterdir())
    assert converted.read_bytes() == answer.content, parameters
    ext = parameters.get("format", "jpg")
    assert converted.name == f"Autumn.{ext}"


def test_preset_from_the_config(tmp_path: Path, photos: Path) -> None:
    config = tmp_path / "fitter.yaml"
    presets = {"web": {"width": 640, "format": "webp", "quality": 75}}
    storage = {"store": {"type": "fs", "location": "st"}}
    config.write_text(yaml.safe_dump({"storage": storage, "options": {"presets": presets}}))
    out = tmp_path / "out"
    source = photos / "Autumn.jpg"
    done = fitter("convert", str(source), "-o", str(out), "--preset", "web", "-c", str(config))
    assert done.exit_code == 0, done.stderr
    assert size(out / "Autumn.webp") == (640, 400)
