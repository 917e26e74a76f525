"""The local-disk source and store: versions, confinement to the root, atomic writes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from fitter.errors import InvalidRequest, NotFound
from fitter.paths import clean_path
from fitter.storage.fs import FsSource, FsStore


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a.png", "a.png"),
        ("/wallpaper/lion.png", "wallpaper/lion.png"),
        ("a//b/./c.png", "a/b/c.png"),
    ],
)
def test_clean_path_gives_the_canonical_relative_form(raw, clean):
    assert clean_path(raw) == clean


@pytest.mark.parametrize("raw", ["..", "../x", "a/../../x", "a\\b", "a\x00b", "", "/", "a/\tb"])
def test_clean_path_refuses_what_could_leave_the_root(raw):
    with pytest.raises(InvalidRequest) as caught:
        clean_path(raw)
    assert caught.value.problems[0].param == "path"


def test_source_version_changes_when_the_file_does(tmp_path: Path):
    (tmp_path / "a.png").write_bytes(b"one")
    source = FsSource(tmp_path)
    first = run(source.stat("a.png"))
    assert first.size == 3
    (tmp_path / "a.png").write_bytes(b"three")
    os.utime(tmp_path / "a.png", ns=(1, 1))
    second = run(source.stat("a.png"))
    assert second.version != first.version
    assert run(source.load("a.png")) == (tmp_path / "a.png").resolve()


def test_source_refuses_links_out_of_the_root_folders_and_missing_files(tmp_path: Path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"x")
    (root / "link.png").symlink_to(outside / "secret.png")
    (root / "folder").mkdir()
    source = FsSource(root)
    for path in ("link.png", "folder", "missing.png"):
        with pytest.raises(NotFound):
            run(source.stat(path))
        with pytest.raises(NotFound):
            run(source.load(path))


def test_store_saves_atomically_and_reads_back(tmp_path: Path):
    store = FsStore(tmp_path)
    assert not run(store.exists("p/ab/key.jpg"))
    run(store.save("p/ab/key.jpg", b"data", "image/jpeg"))
    assert run(store.exists("p/ab/key.jpg"))
    assert run(store.read("p/ab/key.jpg")) == b"data"
    run(store.save("p/ab/key.jpg", b"data2", "image/jpeg"))
    assert run(store.read("p/ab/key.jpg")) == b"data2"
    assert sorted(p.name for p in (tmp_path / "p" / "ab").iterdir()) == ["key.jpg"]
    with pytest.raises(NotFound):
        run(store.read("p/missing.jpg"))
    assert run(store.url("p/ab/key.jpg")) is None
    assert run(FsStore(tmp_path, "https://cdn.example.com/v").url("k.jpg")) == (
        "https://cdn.example.com/v/k.jpg"
    )


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = FsStore(tmp_path)

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        run(store.save("a/key.png", b"data", "image/png"))
    assert list((tmp_path / "a").iterdir()) == []
    assert list((tmp_path / ".fitter-tmp").iterdir()) == []


def test_scraps_of_killed_writes_are_swept_when_old(tmp_path: Path):
    scratch = tmp_path / ".fitter-tmp"
    scratch.mkdir()
    (scratch / "old.tmp").write_bytes(b"half")
    (scratch / "fresh.tmp").write_bytes(b"half")
    os.utime(scratch / "old.tmp", (1, 1))
    FsStore(tmp_path)
    assert [p.name for p in scratch.iterdir()] == ["fresh.tmp"]
