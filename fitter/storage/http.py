"""Originals fetched over http(s): allowed URLs only, each downloaded once and kept.

The `path` is the absolute URL. It must lie under one of the operator's `allow` prefixes,
and its host must pass the SSRF guard, every redirect's too (`fitter.storage.fetch`).
A fetched original is kept (its bytes in the store or in the cache store, a small record
of its version and size in the cache store) for `keep_seconds`, so `stat` and `load` of
one URL download it once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Protocol

import httpx

from fitter.cache.base import CacheStore
from fitter.config import HttpSettings
from fitter.errors import (
    FitterError,
    Forbidden,
    NotFound,
)
from fitter.flight import SingleFlight
from fitter.paths import canonical_url
from fitter.storage.base import SourceStat
from fitter.storage.fetch import Fetched, Fetcher

log = logging.getLogger(__name__)

RECORD = "http:"  # cache store: {"version", "size"} of a kept original
DATA = "http-data:"  # cache store: its bytes, when keep_in is "cache"
FOLDER = "originals/"  # store: its bytes, when keep_in is "store"


class Keep(Protocol):
    """Where fetched originals' bytes are kept: a fitter `Store` does."""

    async def read(self, name: str) -> bytes: ...

    async def save(self, name: str, data: bytes, media_type: str) -> None: ...


def digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


class HttpSource:
    """A `Source` whose paths are absolute http(s) URLs under the allowed prefixes.

    `keep` holds the bytes of fetched originals when `settings.keep_in` is "store"; when
    it is "cache" (or no `keep` is given) they go to the cache store, which may drop
    large values, so such originals can be fetched again.
    """

    def __init__(
        self,
        settings: HttpSettings,
        cache: CacheStore,
        keep: Keep | None = None,
        max_bytes: int = 64 * 1024 * 1024,
        total_seconds: float = 20.0,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.keep = keep if settings.keep_in == "store" else None
        self.prefixes = [canonical_url(prefix) for prefix in settings.allow]
        self.fetcher = Fetcher(settings, self.allowed_url, max_bytes, total_seconds)
        self._fetching: SingleFlight[str, Fetched] = SingleFlight()

    async def stat(self, path: str) -> SourceStat:
        """The kept record when there is one (no request), else the fetched original's."""
        url = self.allowed_url(path)
        stat = await self._kept_stat(digest(url))
        if stat is not None:
            return stat
        return (await self._fetch_once(url)).stat

    async def head(self, path: str, length: int) -> bytes:
        """The whole original: it is fetched once and kept, so a part would save nothing."""
        return await self.load(path)

    async def load(self, path: str) -> bytes:
        """The kept bytes when there are, else the original fetched (and kept)."""
        url = self.allowed_url(path)
        key = digest(url)
        stat = await self._kept_stat(key)
        if stat is not None:
            data = await self._kept_data(key)
            if data is not None and len(data) == stat.size:
                return data
        return (await self._fetch_once(url)).data

    async def close(self) -> None:
        await self.fetcher.close()

    def allowed_url(self, url: str | httpx.URL) -> str:
        """The canonical form of `url`; Forbidden unless it lies under an allowed prefix."""
        text = canonical_url(url)
        if not any(text.startswith(prefix) for prefix in self.prefixes):
            raise Forbidden("this URL is not under an allowed prefix", "path")
        return text

    # Keeping

    async def _kept_stat(self, key: str) -> SourceStat | None:
        raw = await self.cache.get(RECORD + key)
        if raw is None:
            return None
        try:
            record = json.loads(raw)
            return SourceStat(version=str(record["version"]), size=int(record["size"]))
        except (ValueError, KeyError, TypeError):
            return None

    async def _kept_data(self, key: str) -> bytes | None:
        if self.keep is None:
            return await self.cache.get(DATA + key)
        try:
            return await self.keep.read(FOLDER + key)
        except (NotFound, OSError):
            return None

    async def _remember(self, key: str, fetched: Fetched) -> None:
        # The bytes first, then the record: a record never points at missing bytes.
        ttl = self.settings.keep_seconds
        if self.keep is None:
            await self.cache.set(DATA + key, fetched.data, ttl)
        else:
            try:
                await self.keep.save(FOLDER + key, fetched.data, fetched.media_type)
            except (FitterError, OSError) as error:
                # Serving the original matters more than keeping it.
                log.warning("could not keep a fetched original: %s", error)
                return
        record = {"version": fetched.stat.version, "size": fetched.stat.size}
        await self.cache.set(RECORD + key, json.dumps(record).encode(), ttl)

    # Fetching

    async def _fetch_once(self, url: str) -> Fetched:
        """Fetch and keep `url`; callers asking at the same time share one download (and
        one caller giving up does not cancel it for the others)."""
        key = digest(url)
        return await self._fetching.run(key, lambda: self._fetch_and_keep(url, key))

    async def _fetch_and_keep(self, url: str, key: str) -> Fetched:
        fetched = await self.fetcher.fetch(url)
        await self._remember(key, fetched)
        return fetched
