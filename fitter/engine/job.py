"""What one render works on: the narrow context every engine step receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fitter.engine.deadline import Deadline
from fitter.geometry import Layout, Size
from fitter.models import Original, SourceInfo
from fitter.plan import Output, Plan


@dataclass(frozen=True)
class Job:
    """A plan, the original it runs on (and its header), the sizes worked out from that
    header, and the output to encode. `extras` are the other sources the filters read,
    by path (a watermark's image); `deadline` stops the work (see `render`)."""

    plan: Plan
    output: Output
    info: SourceInfo
    original: Original
    layout: Layout
    limit: Size
    extras: Mapping[str, Original] = field(default_factory=dict)
    deadline: Deadline = field(default_factory=Deadline)

    @property
    def animated(self) -> bool:
        return self.info.frames > 1 and self.output.format.can_animate

    @property
    def whole(self) -> bool:
        """Whether the size stage works on the whole source, and so may shrink on load."""
        return self.plan.trim is None and self.plan.region is None
