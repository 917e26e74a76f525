"""What a storage backend must do: read originals (`Source`) and keep variants (`Store`).

Paths and names are already clean (see `paths.clean_path`) and relative to the backend's
root. A missing object raises `fitter.errors.NotFound`; a backend that cannot be reached
raises `fitter.errors.Unavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from fitter.models import Original


@dataclass(frozen=True)
class SourceStat:
    """An original's identity: `version` changes whenever its content may have."""

    version: str
    size: int


class Source(Protocol):
    async def stat(self, path: str) -> SourceStat:
        """The original's version and size; NotFound if there is no such file."""
        ...

    async def head(self, path: str, length: int) -> Original:
        """Enough of the original to read its header: a local file libvips reads itself,
        or at least its first `length` bytes (all of them when it is shorter; a backend
        that cannot read a part gives the whole). NotFound if there is no such file."""
        ...

    async def load(self, path: str) -> Original:
        """A local file libvips can open itself, or the original's bytes."""
        ...


# What a listing shows: names that look like images a source may hold.
IMAGE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "png", "webp", "gif", "avif", "tif", "tiff", "heic", "heif", "svg", "bmp"}
)


def looks_like_image(name: str) -> bool:
    """By the name alone: an image extension, and no hidden segment."""
    if any(part.startswith(".") for part in name.split("/")):
        return False
    return name.rpartition(".")[2].lower() in IMAGE_EXTENSIONS


@runtime_checkable
class Listing(Protocol):
    """A source that can say what it holds (the console's picker); http sources cannot
    (`SourceRouter.list` answers NotFound for them)."""

    async def list(self, prefix: str, limit: int, after: str | None) -> list[str]:
        """Up to `limit` image-looking paths starting with `prefix`, in code-point order,
        each greater than `after` when given: pass the last path of a page to get the next."""
        ...


class Store(Protocol):
    async def exists(self, name: str) -> bool:
        """Whether a complete variant is stored under `name`."""
        ...

    async def read(self, name: str) -> bytes:
        """The variant's bytes; NotFound if it is not stored."""
        ...

    async def save(self, name: str, data: bytes, media_type: str) -> None:
        """Store atomically: readers see the whole object or none. Idempotent."""
        ...

    async def url(self, name: str) -> str | None:
        """The public address of `name`, or None when fitter serves it at /store/."""
        ...
