"""The native URL parameters as command-line options, declared once for every command
that takes a transformation (`convert`, `backup`, `warm`).

All are read as text and checked by the native grammar, so a bad value gets the API's
own message. `transformation` adds them to a command: the command receives what was
given as `query`, the (name, value) pairs a URL's query string would carry.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

P = ParamSpec("P")
R = TypeVar("R")
Query = list[tuple[str, str]]


def _text(*names: str, help: str) -> Any:
    return Annotated[str | None, typer.Option(*names, help=help)]


OPTIONS: dict[str, Any] = {
    "mode": _text(help="thumbnail, resize, crop, flip or rotate"),
    "width": _text("--width", "-w", help="pixels; 0 or absent: derived"),
    "height": _text("--height", "-h", help="pixels; 0 or absent: derived"),
    "fit": _text(help="cover, contain, fill, inside or outside"),
    "gravity": _text(help="center, north, …, smart or entropy"),
    "format": _text(help="jpg, png, webp, avif, gif or original"),
    "quality": _text(help="1 to 100"),
    "background": _text(help="#rrggbb, #rrggbbaa or a CSS name"),
    "upscale": Annotated[bool | None, typer.Option("--upscale/--no-upscale")],
    "direction": _text(help="flip: h, v or both"),
    "degree": _text(help="rotate: degrees clockwise"),
    "preset": _text(help="a preset from the configuration"),
}


def transformation(command: Callable[..., R]) -> Callable[..., R]:
    """`command` with the transformation options after its own; it gets them as `query`."""
    own = inspect.signature(command, eval_str=True)
    kept = [p for p in own.parameters.values() if p.name != "query"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=kind)
        for name, kind in OPTIONS.items()
    ]

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> R:
        given = {name: kwargs.pop(name) for name in OPTIONS}
        return command(*args, query=as_query(given), **kwargs)

    run.__signature__ = own.replace(parameters=kept + added)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in kept + added} | {
        "return": own.return_annotation
    }
    return run


def as_query(given: dict[str, str | bool | None]) -> Query:
    """The options given, as a query string would say them (`--no-upscale`: `false`)."""
    return [
        (name, str(value).lower() if isinstance(value, bool) else value)
        for name, value in given.items()
        if value is not None
    ]
