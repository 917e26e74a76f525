"""Turning a user's path into a safe path relative to a storage root.

Checked as text, before any storage is touched: a request can only name files below the
root, whatever the backend.
"""

from __future__ import annotations

from fitter.errors import InvalidRequest


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
