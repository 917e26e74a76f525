"""The values the service hands out: a variant named but not yet looked for (`Target`),
one found or made (`Found`), and one queued for later (`Pending`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from fitter.geometry import Layout
from fitter.models import Variant
from fitter.plan import Output, Plan
from fitter.service.events import Layer
from fitter.service.originals import Opened


@dataclass(frozen=True)
class Target:
    """What a plan asks for on its source: the output, the sizes, the key and the name.

    `source` and `extras` (the other sources the filters read) carry their versions and
    headers; `layout` has every size, worked out once from the header."""

    plan: Plan
    output: Output
    source: Opened
    layout: Layout
    key: str
    name: str
    extras: tuple[Opened, ...] = ()

    def for_later(self) -> Target:
        """The target without any original read for it: what waits in a queue holds no
        image's bytes."""
        return replace(
            self,
            source=self.source.without_body(),
            extras=tuple(e.without_body() for e in self.extras),
        )

    def variant(self, width: int, height: int, size: int) -> Variant:
        return Variant(
            key=self.key,
            name=self.name,
            format=self.output.format.value,
            width=width,
            height=height,
            bytes=size,
        )


@dataclass(frozen=True)
class Found:
    variant: Variant
    layer: Layer
    data: bytes | None = None


@dataclass(frozen=True)
class Pending:
    """Queued for generation: by this request (`queued`) or by an earlier one."""

    target: Target
    queued: bool
