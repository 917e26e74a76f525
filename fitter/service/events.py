"""What the service tells its observers: each answer's layer and each engine run.

Metrics count them and the access log shows the layer; neither is read back from an
answer's headers, and the service knows nothing of HTTP.
"""

from __future__ import annotations

from typing import Literal, Protocol

# Where an answer's variant came from: the cache store knew it, the store had it, or it
# was generated now (also for a request that waited for another's generation).
Layer = Literal["cache", "store", "miss"]


class Events(Protocol):
    def answered(self, layer: Layer) -> None:
        """An answer was given from `layer`."""

    def rendered(self, seconds: float) -> None:
        """The engine rendered a variant in `seconds` (failed renders too)."""


class Quiet:
    """No observer: the worker and the command-line tools."""

    def answered(self, layer: Layer) -> None:
        pass

    def rendered(self, seconds: float) -> None:
        pass
