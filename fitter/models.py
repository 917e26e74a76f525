"""The values that cross a boundary: answers, and records kept in the cache store."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

# An original as a backend hands it over: a local file libvips opens itself, or bytes.
Original = Path | bytes


class SourceInfo(BaseModel):
    """What the header of an original says, as `/info` answers it."""

    model_config = ConfigDict(frozen=True)

    format: str
    width: int
    height: int
    frames: int = 1
    has_alpha: bool = False
    orientation: int = 1
    bytes: int = 0


class Variant(BaseModel):
    """One generated image in the store, as the cache store records it."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    format: str
    width: int
    height: int
    bytes: int

    @property
    def filename(self) -> str:
        return self.name.rsplit("/", 1)[-1]
