"""Rendering a plan with the engine directly, as the service does, without a server."""

from __future__ import annotations

from collections.abc import Mapping

from fitter import engine, geometry
from fitter.models import Original, SourceInfo
from fitter.plan import Output, Plan, resolve_output

LIMIT = (8192, 8192)


def render(
    plan: Plan,
    original: Original,
    info: SourceInfo,
    *,
    output: Output | None = None,
    seconds: float | None = None,
    extras: Mapping[str, Original] | None = None,
    limit: geometry.Size = LIMIT,
) -> engine.Rendered:
    """`plan` on `original`: its sizes worked out from `info` first, as the service does
    (InvalidRequest when one breaks a rule or a limit), then the engine's render."""
    layout = geometry.layout(plan, (info.width, info.height), limit)
    chosen = output or resolve_output(plan, info, None)
    return engine.render(
        engine.Job(plan, chosen, info, original, layout, limit, extras or {}), seconds
    )
