"""One Source for the service, whatever the path names: a file of the main source or a URL."""

from __future__ import annotations

from fitter.errors import Forbidden, NotFound
from fitter.models import Original
from fitter.paths import is_url
from fitter.storage.base import Listing, Source, SourceStat


class SourceRouter:
    """Absolute http(s) URLs go to the http source when one is enabled; the rest to `main`."""

    def __init__(self, main: Source, http: Source | None = None) -> None:
        self.main = main
        self.http = http

    def _pick(self, path: str) -> Source:
        if not is_url(path):
            return self.main
        if self.http is None:
            raise Forbidden("http(s) sources are not enabled on this server", "path")
        return self.http

    async def stat(self, path: str) -> SourceStat:
        return await self._pick(path).stat(path)

    async def head(self, path: str, length: int) -> Original:
        return await self._pick(path).head(path, length)

    async def load(self, path: str) -> Original:
        return await self._pick(path).load(path)

    async def list(self, prefix: str, limit: int, after: str | None) -> list[str]:
        """The main source's images (see `Listing`); NotFound when it cannot list them."""
        if not isinstance(self.main, Listing):  # an http main source cannot
            raise NotFound("this server's source cannot list its images", None)
        return await self.main.list(prefix, limit, after)


class BaseUrlSource:
    """An http source as the main source: a relative path is read below its first prefix."""

    def __init__(self, http: Source, base: str) -> None:
        self.http = http
        self.base = base

    async def stat(self, path: str) -> SourceStat:
        return await self.http.stat(self.base + path)

    async def head(self, path: str, length: int) -> Original:
        return await self.http.head(self.base + path, length)

    async def load(self, path: str) -> Original:
        return await self.http.load(self.base + path)
