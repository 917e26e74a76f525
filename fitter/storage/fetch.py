"""Downloading an original over http(s), past the SSRF guard (`fitter.storage.ssrf`).

Redirects are followed by hand so that every hop is checked again (against the allowed
prefixes and the guard), and each request connects to the very address that was
checked, so DNS cannot answer differently between the check and the connection. The
whole fetch, redirects included, has one time limit, and the body one size limit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import anyio
import httpx

from fitter.config import HttpSettings
from fitter.errors import BadGateway, GatewayTimeout, NotFound, TooLarge
from fitter.storage import ssrf
from fitter.storage.base import SourceStat

REDIRECTS = frozenset({301, 302, 303, 307, 308})
GONE = frozenset({404, 410})


@dataclass(frozen=True)
class Fetched:
    stat: SourceStat
    data: bytes
    media_type: str


class Fetcher:
    """`allowed_url` gives the canonical form of a URL, refusing one that may not be
    fetched (it is applied to every redirect's target)."""

    def __init__(
        self,
        settings: HttpSettings,
        allowed_url: Callable[[str | httpx.URL], str],
        max_bytes: int,
        total_seconds: float,
    ) -> None:
        self.settings = settings
        self.allowed_url = allowed_url
        self.max_bytes = max_bytes
        self.total_seconds = total_seconds
        self.allowed = ssrf.networks(settings.allow_ranges)
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

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
