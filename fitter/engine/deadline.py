"""The processing deadline (`limits.timeouts.processing`): past it, libvips is stopped.

libvips computes lazily, so most pixel work happens while the final image is encoded:
that computation is watched and killed at the deadline. Steps that compute an image
early (into memory, for a smart crop's search, a trim, a fill, or `max_bytes`' several
encodes) check the deadline before they start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyvips


class Expired(Exception):
    """The deadline passed between two computations."""


@dataclass(frozen=True)
class Deadline:
    seconds: float | None = None
    # time.monotonic() at which work stops; None: no deadline.
    at: float | None = None

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        return cls(seconds, None if seconds is None else time.monotonic() + seconds)

    def watch(self, image: pyvips.Image) -> None:
        """Ask libvips to kill the computation of `image` once the deadline has passed."""
        if self.at is None:
            return
        at = self.at
        image.set_progress(True)

        def on_eval(computing: pyvips.Image, progress: object) -> None:
            if time.monotonic() > at:
                computing.set_kill(True)

        image.signal_connect("eval", on_eval)

    def in_memory(self, image: pyvips.Image) -> pyvips.Image:
        """`image` computed now, unless the deadline has passed.

        Not watched while it computes: pyvips' signal handlers live on the Python image
        object, and libvips may signal an intermediate image after that object is gone.
        The work is bounded anyway, by the size limits checked from the header."""
        self.check()
        return image.copy_memory()

    def check(self) -> None:
        if self.at is not None and time.monotonic() > self.at:
            raise Expired
