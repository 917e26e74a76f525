"""The canonical spelling of values in a plan's text (and so in its variant key)."""

from __future__ import annotations

import json


def canonical_number(value: float) -> str:
    """`3` for 3 and 3.0, `0.5` for 0.5: one spelling per number."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def canonical_value(item: object) -> str:
    """A number, a flag (1 or 0), text (quoted, so a comma inside stays one value), none,
    a tuple (its items, parenthesised) or anything with its own `canonical()`."""
    if isinstance(item, bool):
        return "1" if item else "0"
    if isinstance(item, int | float):
        return canonical_number(item)
    if isinstance(item, str):
        return json.dumps(item)
    if item is None:
        return "none"
    if isinstance(item, tuple):
        return "(" + ",".join(canonical_value(part) for part in item) + ")"
    canonical = getattr(item, "canonical", None)
    if canonical is None:
        raise TypeError(f"no canonical text for {type(item).__name__}")
    text: str = canonical()
    return text
