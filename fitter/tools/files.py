"""Finding the images a local tool works on: files, folders (walked, keeping the tree)
and globs."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# What a folder walk picks up; a file named on the command line is always tried.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}
)


@dataclass(frozen=True)
class Input:
    """One file to work on, and where it sits relative to what was named (its output's
    place under the output folder or prefix)."""

    path: Path
    relative: PurePosixPath


def find_inputs(arguments: Sequence[str]) -> tuple[list[Input], list[tuple[str, str]]]:
    """Files, folders (walked, keeping the tree) and globs; and the arguments that named
    nothing, with why."""
    found: list[Input] = []
    missing: list[tuple[str, str]] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(walk(path))
        elif path.exists() or path.is_symlink():
            found.append(Input(path, PurePosixPath(path.name)))
        elif any(c in argument for c in "*?["):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                missing.append((argument, "the pattern matches no file"))
            for match in map(Path, matches):
                found.extend(
                    walk(match) if match.is_dir() else [Input(match, PurePosixPath(match.name))]
                )
        else:
            missing.append((argument, "no such file or folder"))
    return found, missing


def walk(root: Path) -> list[Input]:
    """Every image file below `root` by its name, in a stable order; hidden files and
    folders (`.DS_Store`, `._photo.jpg`, `.git`) are left out."""
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            path = Path(folder) / name
            found.append(Input(path, PurePosixPath(path.relative_to(root).as_posix())))
    return found


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
