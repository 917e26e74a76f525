"""The Plan and what it names: stages, typed filters, output formats and variant keys.

`stages` (the Plan itself), `filters` (typed pixel filters), `output` (formats and the
choice among them), `variant` (the concrete output and the key), `text` (canonical text).
"""

from fitter.plan.filters import Color, Filter
from fitter.plan.output import (
    AUTO,
    FORMAT_NAMES,
    ORIGINAL,
    QUALITY_DEFAULTS,
    ImageFormat,
    Output,
    RequestedFormat,
    fallback_format,
    negotiate,
)
from fitter.plan.stages import (
    DEFAULT_FIT,
    Corner,
    Direction,
    Fit,
    Gravity,
    Mode,
    Plan,
    Region,
    Trim,
    Unit,
)
from fitter.plan.variant import resolve_output, variant_key

__all__ = [
    "AUTO",
    "DEFAULT_FIT",
    "FORMAT_NAMES",
    "ORIGINAL",
    "QUALITY_DEFAULTS",
    "Color",
    "Corner",
    "Direction",
    "Filter",
    "Fit",
    "Gravity",
    "ImageFormat",
    "Mode",
    "Output",
    "Plan",
    "Region",
    "RequestedFormat",
    "Trim",
    "Unit",
    "fallback_format",
    "negotiate",
    "resolve_output",
    "variant_key",
]
