"""thumbor's URL signatures: HMAC-SHA1 of the path after the signature, keyed by the
server's SECURITY_KEY, so that thumbor's signing libraries keep working against fitter.

The server checks the signature before reading anything else in the URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import unquote

from fitter.errors import InvalidRequest

# HMAC-SHA1 in URL-safe base64 with its padding: 27 characters and `=`.
SIGNATURE = r"[A-Za-z0-9_-]{27}="
UNSAFE = "unsafe"


def sign(key: str, path: str) -> str:
    """thumbor's signature of `path` (the URL after the signature, as sent): HMAC-SHA1,
    URL-safe base64 with its `=` padding."""
    digest = hmac.new(key.encode(), path.encode(), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def sign_path(key: str, path: str) -> str:
    """`/<signature>/<path>` for a thumbor path such as `300x200/smart/a.jpg`."""
    path = path.lstrip("/")
    return f"/{sign(key, path)}/{path}"


def signed_text(key: str, path: str, signature: str) -> str | None:
    """The text `signature` signs, compared in constant time: `path` as sent, or else its
    percent-decoded form (signing libraries differ on which of the two they sign); None
    when it signs neither. The URL must then be read from exactly this text, so that an
    encoded `/` or `:` cannot move a signed option into the image path."""
    given = signature.encode("utf-8", "surrogatepass")
    if hmac.compare_digest(sign(key, path).encode(), given):
        return path
    decoded = unquote(path)
    if decoded != path and hmac.compare_digest(sign(key, decoded).encode(), given):
        return decoded
    return None


def verify(key: str, path: str, signature: str) -> bool:
    """Whether `signature` signs `path` as sent or percent-decoded."""
    return signed_text(key, path, signature) is not None


def split_signature(text: str) -> tuple[str | None, str]:
    """`unsafe/…` or `<signature>/…` into the signature (None for unsafe) and the rest."""
    head, _, rest = text.lstrip("/").partition("/")
    if head == UNSAFE:
        return None, rest
    if re.fullmatch(SIGNATURE, head):
        return head, rest
    raise InvalidRequest.one("signature", "a thumbor URL starts with unsafe/ or a signature")
