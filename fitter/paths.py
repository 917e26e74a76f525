"""Turning what a user wrote into a safe path or URL, as text, before any storage is touched."""

from __future__ import annotations

from urllib.parse import unquote

import httpx

from fitter.errors import Forbidden, InvalidRequest

DEFAULT_PORTS = {"http": 80, "https": 443}


def is_url(path: str) -> bool:
    return path[:8].lower().startswith(("http://", "https://"))


def clean_path(raw: str, param: str = "path") -> str:
    """The canonical relative form of `raw`, or a 400 naming `param`.

    A leading `/` is dropped (the seed's examples write `/wallpaper/lion.png`), empty and
    `.` segments vanish; `..`, backslashes, NUL and control characters are refused.
    """
    if any(c in raw for c in "\\\x00") or any(ord(c) < 32 for c in raw):
        raise InvalidRequest.one(
            param, f"{param} may not contain backslashes or control characters"
        )
    segments = [s for s in raw.split("/") if s not in ("", ".")]
    if ".." in segments:
        raise InvalidRequest.one(param, f"{param} may not contain '..' segments")
    if not segments:
        raise InvalidRequest.one(param, f"{param} is empty")
    return "/".join(segments)


def canonical_url(url: str | httpx.URL) -> str:
    """`url` as compared with the allow-list: lower-case scheme and host, no default
    port, dot segments resolved, no fragment. Forbidden when it cannot be fetched."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise Forbidden("path is not a valid http(s) URL", "path") from None
    scheme = parsed.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Forbidden("only http and https URLs are allowed", "path")
    if parsed.userinfo:
        raise Forbidden("URLs with a user name or password are not allowed", "path")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise Forbidden("path is not a valid http(s) URL", "path")
    # `%2e%2e` is `..` to many servers once decoded, and `\` a slash to some.
    segments = unquote(parsed.path).replace("\\", "/").split("/")
    if ".." in segments:
        raise Forbidden("URLs with '..' segments are not allowed", "path")
    netloc = f"[{host}]" if ":" in host else host
    if parsed.port is not None and parsed.port != DEFAULT_PORTS[scheme]:
        netloc += f":{parsed.port}"
    return f"{scheme}://{netloc}{parsed.raw_path.decode('ascii')}"
