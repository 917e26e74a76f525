"""The server's access policies for the grammars that cannot name a preset.

`options.presets_only` and `options.allowed_sizes` lock a server down to a fixed set of
variants. thumbor's and IIIF's URLs ask for any size (a viewer asks for any tile), so on
such a server they are refused as a whole rather than half-honoured; `allowed_formats`
applies to them as to fitter's own URLs.
"""

from __future__ import annotations

from fitter.dialects.rules import Rules
from fitter.errors import Forbidden, InvalidRequest
from fitter.plan import Plan


def check_open(rules: Rules, grammar: str) -> None:
    """Forbidden when the server serves presets or listed sizes only."""
    if rules.presets_only or rules.allowed_sizes:
        setting = "options.presets_only" if rules.presets_only else "options.allowed_sizes"
        raise Forbidden(
            f"{grammar} URLs are off on this server: it serves fixed variants only ({setting})",
            None,
        )


def check_format(plan: Plan, rules: Rules) -> None:
    """`options.allowed_formats`: the format a URL asks for, as for fitter's own URLs."""
    if rules.allowed_formats and plan.format not in rules.allowed_formats:
        formats = ", ".join(sorted(rules.allowed_formats))
        raise InvalidRequest.one("format", f"format {plan.format} is not allowed ({formats})")
