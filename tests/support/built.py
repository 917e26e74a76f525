"""A service over real backends, with the calls it makes to its source counted and its
events recorded (`build`, a fixture the service tests use)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fitter.cache import CacheStore, MemoryCache
from fitter.compose import assemble
from fitter.config import Config
from fitter.models import Original
from fitter.service import Layer, Service
from fitter.storage import Source, SourceStat
from fitter.storage.fs import FsSource, FsStore


class Counted:
    """A Source that counts the calls made to the one it wraps."""

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    async def stat(self, path: str) -> SourceStat:
        self.calls["stat"] += 1
        return await self.inner.stat(path)

    async def head(self, path: str, length: int) -> Original:
        self.calls["head"] += 1
        return await self.inner.head(path, length)

    async def load(self, path: str) -> Original:
        self.calls["load"] += 1
        return await self.inner.load(path)


@dataclass
class Recorded:
    """The service's events, as a list."""

    answers: list[Layer] = field(default_factory=list)
    renders: list[float] = field(default_factory=list)

    def answered(self, layer: Layer) -> None:
        self.answers.append(layer)

    def rendered(self, seconds: float) -> None:
        self.renders.append(seconds)


@dataclass
class Built:
    service: Service
    source: Counted
    events: Recorded
    store: Path


def config_of(**sections: Any) -> Config:
    return Config.model_validate(
        {"storage": {"store": {"type": "fs", "location": "unused"}}, **sections}
    )


@pytest.fixture
def build(images: Path, tmp_path: Path) -> Callable[..., Built]:
    """A service over the `images` folder (or `source`) and a fresh fs store."""

    def make(
        source: Source | None = None,
        cache: CacheStore | None = None,
        threads: int = 2,
        **sections: Any,
    ) -> Built:
        counted = Counted(source or FsSource(images))
        events = Recorded()
        store = tmp_path / f"store{len(list(tmp_path.iterdir()))}"
        service = assemble(
            config_of(**sections),
            counted,
            FsStore(store),
            cache or MemoryCache(1000, 64 * 1024 * 1024, 3600),
            events,
            threads=threads,
        )
        return Built(service, counted, events, store)

    return make
