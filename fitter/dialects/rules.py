"""What the configuration decides about the requests a server takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fitter.config import Limits, Options
from fitter.plan import ORIGINAL


@dataclass(frozen=True)
class Rules:
    """What the configuration decides about native requests (`Rules.of` reads it): the
    limits are `limits.max_width` and `max_height`, the rest comes from `options`."""

    max_size: tuple[int, int]
    default_format: str = ORIGINAL
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    allowed_sizes: frozenset[tuple[int, int]] = frozenset()
    allowed_formats: frozenset[str] = frozenset()
    presets_only: bool = False

    @classmethod
    def of(cls, options: Options, limits: Limits, policies: bool = True) -> Rules:
        """The rules a configuration gives; without `policies`, none of the access
        policies (`allowed_sizes`, `allowed_formats`, `presets_only`): those keep
        strangers from making a server generate arbitrary variants, and a person
        converting their own files on their own machine is not one."""
        rules = cls(
            max_size=(limits.max_width, limits.max_height),
            default_format=options.default_format,
            presets=options.presets,
        )
        if not policies:
            return rules
        return replace(
            rules,
            allowed_sizes=options.sizes,
            allowed_formats=options.formats,
            presets_only=options.presets_only,
        )
