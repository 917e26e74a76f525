"""Signed URLs: HMAC-SHA256 over the canonical form of a request. Pure; standard library only.

The canonical form is the endpoint path, `?`, then every query parameter except `sig`: name
and value percent-encoded as UTF-8 (all but `A-Z a-z 0-9 - . _ ~`), the encoded pairs sorted
by name then value, joined as `name=value` with `&`:

    /image?format=webp&path=a%2Fb.jpg&width=300

Parameters are compared as the server decodes them, so any order and any spelling of the same
characters (`%2F` or `/`, `+` or `%20`) share one signature, and nothing else does. The
signature is the URL-safe base64 of the HMAC, without `=` padding (43 characters).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

PARAMETER = "sig"
SAFE = "-._~"


def encode(text: str) -> str:
    return quote(text, safe=SAFE)


def canonical(path: str, items: Iterable[tuple[str, str]]) -> str:
    """The string that is signed; `items` are decoded query parameters, `sig` is left out."""
    pairs = sorted((encode(name), encode(value)) for name, value in items if name != PARAMETER)
    return f"{path}?" + "&".join(f"{name}={value}" for name, value in pairs)


def sign(key: str, path: str, items: Iterable[tuple[str, str]]) -> str:
    digest = hmac.new(key.encode(), canonical(path, items).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(keys: list[str], path: str, items: Iterable[tuple[str, str]], sig: str) -> bool:
    """Whether any key signed this request (keys rotate: the first signs, all are accepted).

    Every key is compared, in constant time, whatever the earlier ones gave, so the time taken
    says nothing about the signature nor which key matched."""
    items = list(items)
    given = sig.encode("utf-8", "surrogatepass")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(sign(key, path, items).encode("ascii"), given)
    return matched


def sign_url(url: str, key: str) -> str:
    """`url` (absolute, or a path and query) with `sig=…` appended; an existing `sig` is
    replaced and the other parameters are kept exactly as written."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and unquote(p.split("=", 1)[0]) != PARAMETER]
    items = parse_qsl("&".join(kept), keep_blank_values=True)
    signature = sign(key, unquote(parts.path) or "/", items)
    query = "&".join([*kept, f"{PARAMETER}={signature}"])
    return urlunsplit(parts._replace(query=query))
