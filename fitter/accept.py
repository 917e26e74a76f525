"""Reading an HTTP `Accept` header: which media types a client takes, and how much."""

from __future__ import annotations


def media_weights(accept: str) -> dict[str, float]:
    """Each media type the header names, with its q-value (1 when absent, 0 when
    malformed: a client that cannot spell its preference has not stated one)."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media.strip().lower()] = q
    return weights
