"""Originals fetched over http(s): allowed URLs only, each downloaded once and kept.

The `path` is the absolute URL. It must lie under one of the operator's `allow` prefixes,
and its host must pass the SSRF guard (`fitter.storage.ssrf`). Redirects are followed by
hand so that every hop is checked again, and each request connects to the very address
that was checked, so DNS cannot answer differently between the check and the connection.
A fetched original is kept (its bytes in the store or in the cache store, a small record
of its version and size in the cache store) for `keep_seconds`, so `stat` and `load` of
one URL download it once.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

import anyio
import httpx

from fitter.cache.base import CacheStore
from fitter.config import HttpSettings
from fitter.errors import (
    BadGateway,
    FitterError,
    Forbidden,
    GatewayTimeout,
    NotFound,
    TooLarge,
)
from fitter.paths import canonical_url
from fitter.storage import ssrf
from fitter.storage.base import SourceStat

log = logging.getLogger(__name__)

RECORD = "http:"  # cache store: {"version", "size"} of a kept original
DATA = "http-data:"  # cache store: its bytes, when keep_in is "cache"
FOLDER = "originals/"  # store: its bytes, when keep_in is "store"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
GONE = frozenset({404, 410})


class Keep(Protocol):
    """Where fetched originals' bytes are kept: a fitter `Store` does."""

    async def read(self, name: str) -> bytes: ...

    async def save(self, name: str, data: bytes, media_type: str) -> None: ...


@dataclass(frozen=True)
class Fetched:
    stat: SourceStat
    data: bytes
    media_type: str


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
        self.total_seconds = total_seconds
        self.cache = cache
        self.keep = keep if settings.keep_in == "store" else None
        self.max_bytes = max_bytes
        self.prefixes = [canonical_url(prefix) for prefix in settings.allow]
        self.allowed = ssrf.networks(settings.allow_ranges)
        self._client: httpx.AsyncClient | None = None
        self._fetching: dict[str, asyncio.Task[Fetched]] = {}

    async def stat(self, path: str) -> SourceStat:
        """The kept record when there is one (no request), else the fetched original's."""
        url = self.allowed_url(path)
        stat = await self._kept_stat(digest(url))
        if stat is not None:
            return stat
        return (await self._fetch_once(url)).stat

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
        if self._client is not None:
            await self._client.aclose()
            self._client = None

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
        """Fetch and keep `url`; callers asking at the same time share one download."""
        key = digest(url)
        task = self._fetching.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch_and_keep(url, key))
            self._fetching[key] = task
            task.add_done_callback(functools.partial(self._fetched, key))
        # Shielded: one caller giving up does not cancel the download for the others.
        return await asyncio.shield(task)

    def _fetched(self, key: str, task: asyncio.Task[Fetched]) -> None:
        self._fetching.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved, even when every caller has gone

    async def _fetch_and_keep(self, url: str, key: str) -> Fetched:
        fetched = await self.fetch(url)
        await self._remember(key, fetched)
        return fetched

    async def fetch(self, url: str) -> Fetched:
        """Download `url` (already allowed), following and checking redirects, all within
        `total_seconds` (a slow drip of bytes cannot hold a fetch open for long)."""
        try:
            with anyio.fail_after(self.total_seconds):
                return await self._follow(url)
        except (httpx.TimeoutException, TimeoutError):
            raise GatewayTimeout("the remote source timed out", "path") from None
        except httpx.InvalidURL:
            raise BadGateway("the remote source answered an invalid redirect", "path") from None
        except (httpx.TransportError, OSError):
            raise BadGateway("the remote source could not be reached", "path") from None

    async def _follow(self, url: str) -> Fetched:
        for _ in range(self.settings.max_redirects + 1):
            address = await ssrf.check(url, self.allowed)
            async with self._request(url, address) as response:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise BadGateway("the remote source redirected to nowhere", "path")
                    url = self.allowed_url(httpx.URL(url).join(location))
                    continue
                if response.status_code in GONE:
                    raise NotFound("no such source image", "path")
                if response.status_code != 200:
                    raise BadGateway(
                        f"the remote source failed (HTTP {response.status_code})", "path"
                    )
                data, content_digest = await self._read(response)
                version = response.headers.get("etag") or content_digest
                media_type = response.headers.get("content-type", "application/octet-stream")
                return Fetched(
                    SourceStat(version=version, size=len(data)),
                    data,
                    media_type.split(";")[0].strip(),
                )
        raise BadGateway("the remote source redirected too many times", "path")

    def _request(
        self, url: str, address: ssrf.Address
    ) -> AbstractAsyncContextManager[httpx.Response]:
        """A streamed GET of `url` sent to `address`, with the URL's own Host and SNI."""
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
        headers = {
            "Host": parsed.netloc.decode("ascii"),
            "Accept-Encoding": "identity",  # images are compressed already
            "User-Agent": "fitter",
        }
        extensions = {}
        if parsed.scheme == "https":
            # The certificate is checked against this name, not against the address.
            name = str(address) if ssrf.parse_host(host) is not None else host
            extensions["sni_hostname"] = name
        target = parsed.copy_with(host=str(address))
        return self._get_client().stream("GET", target, headers=headers, extensions=extensions)

    async def _read(self, response: httpx.Response) -> tuple[bytes, str]:
        """The body and its sha256, refused as soon as it passes `max_bytes`.

        Hashed chunk by chunk as it arrives, so no long hash of a large body blocks the
        event loop at the end."""
        declared = response.headers.get("content-length", "")
        if declared.isdecimal() and int(declared) > self.max_bytes:
            raise self._too_large()
        chunks, total, hashed = [], 0, hashlib.sha256()
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            hashed.update(chunk)
        return b"".join(chunks), hashed.hexdigest()

    def _too_large(self) -> TooLarge:
        return TooLarge(f"the source image is larger than {self.max_bytes} bytes", "path")

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                # Proxies from the environment would connect by name, past the guard.
                trust_env=False,
                timeout=httpx.Timeout(
                    connect=self.settings.connect_timeout,
                    read=self.settings.read_timeout,
                    write=self.settings.read_timeout,
                    pool=self.settings.connect_timeout,
                ),
                # Connections are pooled by address: a kept https connection could carry a
                # request for another name served from the same address, under the first
                # name's certificate. Originals are fetched once, so reuse is worth little.
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return self._client
