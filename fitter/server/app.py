"""`create_app`: the ASGI application, built once from a Config."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from fitter.config import Config, load_config
from fitter.server import errors, routes
from fitter.server.services import build_services


def create_app(config: Config | None = None) -> FastAPI:
    """The fitter application; mount it in another ASGI app or serve it with uvicorn."""
    services = build_services(config or load_config())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await services.close()

    app = FastAPI(title="fitter", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.services = services
    errors.install(app)
    app.include_router(routes.router)
    return app


def create_app_from_environment() -> FastAPI:
    """For uvicorn's multi-process mode, which imports the app by name in each worker."""
    path = os.environ.get("FITTER_CONFIG")
    return create_app(load_config(Path(path) if path else None))
