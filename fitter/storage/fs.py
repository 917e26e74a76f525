"""Local directories as source and store.

Blocking file calls run in worker threads, never on the event loop.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path

import anyio.to_thread

from fitter.errors import NotFound
from fitter.storage.base import SourceStat, looks_like_image

SCRATCH = ".fitter-tmp"


def inside(root: Path, name: str) -> Path | None:
    """`root / name` with every symlink followed, or None when that leaves `root` or loops."""
    try:
        path = (root / name).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return None
    return path if path.is_relative_to(root) else None


class FsSource:
    def __init__(self, location: str | Path) -> None:
        self.root = Path(location).resolve()

    def _inside(self, path: str) -> Path:
        """The real file, refusing one that a symlink takes outside the root (or in a loop)."""
        full = inside(self.root, path)
        if full is None or not full.is_file():
            raise NotFound("no such source image", "path")
        return full

    def _stat(self, path: str) -> SourceStat:
        try:
            st = self._inside(path).stat()
        except OSError as error:
            raise NotFound("no such source image", "path") from error
        return SourceStat(version=f"{st.st_mtime_ns:x}-{st.st_size:x}", size=st.st_size)

    async def stat(self, path: str) -> SourceStat:
        return await anyio.to_thread.run_sync(self._stat, path)

    async def head(self, path: str, length: int) -> Path:
        """The file itself: libvips reads only its header."""
        return await self.load(path)

    async def load(self, path: str) -> Path:
        return await anyio.to_thread.run_sync(self._inside, path)

    def _list(self, prefix: str, limit: int, after: str | None) -> list[str]:
        found: list[str] = []

        def wanted(folder: str) -> bool:
            """Whether any path below `folder` (ending in `/`) may be on this page."""
            if not (folder.startswith(prefix) or prefix.startswith(folder)):
                return False
            # Every path below sorts before `after` unless `after` is itself below it.
            return after is None or folder > after or after.startswith(folder)

        def walk(folder: Path, base: str) -> None:
            try:
                with os.scandir(folder) as scan:
                    entries = [e for e in scan if not e.name.startswith(".")]
            except OSError:
                return
            # A folder sorts as `name/`, so the walk yields paths in code-point order.
            entries.sort(key=lambda e: e.name + "/" if e.is_dir(follow_symlinks=False) else e.name)
            for entry in entries:
                if len(found) >= limit:
                    return
                name = base + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if wanted(name + "/"):
                        walk(Path(entry.path), name + "/")
                elif (
                    name.startswith(prefix)
                    and (after is None or name > after)
                    and looks_like_image(name)
                    and entry.is_file()  # follows a symlink, checked below to stay inside
                    and (not entry.is_symlink() or inside(self.root, name) is not None)
                ):
                    found.append(name)

        walk(self.root, "")
        return found

    async def list(self, prefix: str, limit: int, after: str | None) -> list[str]:
        """Walks the root without following symlinked folders; a symlinked file is listed
        only when it stays inside the root. Hidden names (and so `.fitter-tmp`) are skipped."""
        return await anyio.to_thread.run_sync(self._list, prefix, limit, after)


class FsStore:
    """Files under `location`, each written to a temporary name and renamed into place.

    A server's store keeps its temporary files in a hidden scratch folder of its own
    (swept of old scraps when it opens); with `scratch=False` (a folder of `fitter
    convert`'s outputs, which should hold nothing else) each is a hidden file beside its
    target instead.
    """

    def __init__(
        self, location: str | Path, base_url: str | None = None, scratch: bool = True
    ) -> None:
        self.root = Path(location).resolve()
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self.scratch = self.root / SCRATCH if scratch else None
        self.sweep()

    def sweep(self, older_than: float = 3600.0) -> None:
        """Remove scraps of writes killed mid-way. Only old ones: another process sharing
        the store may be writing its own right now."""
        if self.scratch is None or not self.scratch.is_dir():
            return
        limit = time.time() - older_than
        for scrap in self.scratch.iterdir():
            with contextlib.suppress(OSError):
                if scrap.stat().st_mtime < limit:
                    scrap.unlink()

    def _path(self, name: str) -> Path:
        """The file for `name`, never outside the root, even through a symlink."""
        path = inside(self.root, name)
        if path is None:
            raise NotFound("no such stored image", "name")
        return path

    def _exists(self, name: str) -> bool:
        try:
            return self._path(name).is_file()
        except NotFound:
            return False

    async def exists(self, name: str) -> bool:
        return await anyio.to_thread.run_sync(self._exists, name)

    def _read(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise NotFound("no such stored image", "name") from error

    async def read(self, name: str) -> bytes:
        """The variant's bytes; NotFound when missing or outside the root."""
        return await anyio.to_thread.run_sync(self._read, name)

    def _save(self, name: str, data: bytes) -> None:
        target = self._path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name on the same file system, then renamed into
        # place: a reader never sees half a file, and a process killed mid-write leaves
        # its scraps only in the scratch folder (or as a hidden file beside the target).
        if self.scratch is not None:
            self.scratch.mkdir(exist_ok=True)
            temporary = self.scratch / f"{uuid.uuid4().hex}.tmp"
        else:
            temporary = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.part"
        try:
            with open(temporary, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)

    async def save(self, name: str, data: bytes, media_type: str) -> None:
        await anyio.to_thread.run_sync(self._save, name, data)

    async def url(self, name: str) -> str | None:
        return self.base_url + name if self.base_url else None
