"""`create_app`: the ASGI application, built once from a Config."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from fitter.compose import build_services
from fitter.config import Config, load_config
from fitter.server import console, errors, health, iiif, routes, thumbor, upload
from fitter.server.exchange import ExchangeMiddleware
from fitter.server.logs import RequestIdMiddleware, log_access
from fitter.server.metrics import Metrics


def create_app(config: Config | None = None) -> FastAPI:
    """The fitter application; mount it in another ASGI app or serve it with uvicorn.

    It logs, but never configures logging: see `fitter.server.logs.configure_logging`.
    """
    metrics = Metrics()
    services = build_services(config or load_config(), events=metrics)
    metrics.watch(services.service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await services.close()

    app = FastAPI(title="fitter", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.services = services
    app.state.metrics = metrics
    app.state.readiness = health.Readiness(services)
    errors.install(app)
    # The last added runs first: the request id is set before anything is measured or logged.
    app.add_middleware(
        ExchangeMiddleware, starting=[metrics.started], listeners=[metrics.record, log_access]
    )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(routes.router)
    app.include_router(health.router)
    app.include_router(upload.router)
    app.include_router(console.router)
    app.include_router(iiif.router)
    # Last: thumbor's paths start at the root, with `unsafe` or a signature.
    app.include_router(thumbor.router)
    return app


def create_app_from_environment() -> FastAPI:
    """For uvicorn's multi-process mode, which imports the app by name in each worker."""
    path = os.environ.get("FITTER_CONFIG")
    return create_app(load_config(Path(path) if path else None))
