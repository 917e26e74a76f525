"""Reading the values of a request's arguments, for every dialect.

Each parser takes the text as written and gives a typed value or raises `Invalid` with
the reason; the caller names the parameter. One set of words for booleans, one grammar
for numbers, one for colours, whatever the dialect.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TypeVar

from fitter.colors import parse_color
from fitter.errors import InvalidRequest, Problem
from fitter.paths import canonical_url, clean_path, is_url
from fitter.plan.text import canonical_number

T = TypeVar("T")
N = TypeVar("N", int, float)

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
# At most 9 digits: Python's int() refuses more than 4300, and no image needs more.
DIGITS = re.compile(r"[0-9]{1,9}")
INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
DECIMAL = re.compile(r"[+-]?([0-9]{1,9}(\.[0-9]{0,9})?|\.[0-9]{1,9})")


class Invalid(ValueError):
    """A parser's reason; the parameter name is added by the caller."""


def shown(text: str) -> str:
    """The value as quoted back in a message: never more than 40 characters of it."""
    return repr(text[:40])


def whole(text: str) -> int:
    if not DIGITS.fullmatch(text):
        raise Invalid(f"must be a whole number ≥ 0 (got {shown(text)})")
    return int(text)


def integer(text: str) -> int:
    if not INTEGER.fullmatch(text):
        raise Invalid(f"must be a whole number (got {shown(text)})")
    return int(text)


def decimal(text: str) -> float:
    if not DECIMAL.fullmatch(text):
        raise Invalid(f"must be a number such as 90 or -12.5 (got {shown(text)})")
    return float(text)


def boolean(text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(f"must be true or false (got {shown(text)})")


def within(parse: Callable[[str], N], low: N, high: N) -> Callable[[str], N]:
    """`parse`, refusing a value outside low..high (both included)."""

    def parse_within(text: str) -> N:
        value = parse(text)
        if not low <= value <= high:
            span = f"{canonical_number(low)} to {canonical_number(high)}"
            raise Invalid(f"must be from {span} (got {text[:40]})")
        return value

    return parse_within


def choice(table: Mapping[str, T]) -> Callable[[str], T]:
    """One of the table's names, in any case."""

    def parse(text: str) -> T:
        try:
            return table[text.lower()]
        except KeyError:
            names = ", ".join(sorted(set(table)))
            raise Invalid(f"must be one of {names} (got {shown(text)})") from None

    return parse


def colour(text: str) -> tuple[int, int, int, int]:
    """`#rgb`, `#rrggbb`, `#rrggbbaa` (the `#` optional), a CSS name or transparent."""
    try:
        return parse_color(text)
    except ValueError as error:
        raise Invalid(str(error)) from None


def source_path(text: str, param: str = "path") -> str:
    """A path below the source root, or an absolute http(s) URL for the http source;
    a path's faults are a 400 naming `param`."""
    if is_url(text):
        if any(ord(c) < 33 for c in text):
            raise Invalid("URL may not contain spaces or control characters")
        # One spelling of a URL, so that equivalent URLs share their variants.
        return canonical_url(text)
    return clean_path(text, param)


def required_path(text: str, param: str = "path") -> str:
    """`source_path` for callers that read one path: its reason as a 400 naming `param`."""
    try:
        return source_path(text, param)
    except Invalid as error:
        raise InvalidRequest.one(param, f"{param} {error}") from None


def gather(
    items: Iterable[tuple[str, str]],
    known: Collection[str],
    problems: list[Problem],
    aliases: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Canonical names to raw values; an unknown or repeated parameter is a problem."""
    aliases = aliases or {}
    raw: dict[str, str] = {}
    for given, text in items:
        name = aliases.get(given, given)
        if name not in known:
            problems.append(Problem(given, f"unknown parameter {shown(given)}"))
        elif name in raw:
            problems.append(Problem(given, f"{given} is given more than once"))
        else:
            raw[name] = text
    return raw
