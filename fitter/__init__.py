"""fitter: an on-demand image server."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["create_app"]

if TYPE_CHECKING:
    from fastapi import FastAPI

    from fitter.config import Config


def create_app(config: Config | None = None) -> FastAPI:
    """The ASGI application (imported lazily so that `import fitter` stays light)."""
    from fitter.server.app import create_app as build

    return build(config)
