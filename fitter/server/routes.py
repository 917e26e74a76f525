"""The native HTTP API: thin adapters from requests to the service and back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.routing import Route

from fitter.dialects import args, native
from fitter.errors import InvalidRequest, NotFound, Problem
from fitter.paths import clean_path
from fitter.plan import ImageFormat, Plan
from fitter.server.answers import (
    READ,
    accept,
    describe,
    image_answer,
    layer_of,
    negotiated,
    service,
    services,
    url_of,
)
from fitter.server.signatures import check_signature
from fitter.service import Found

router = APIRouter()

MEDIA_TYPES = {f.extension: f.media_type for f in ImageFormat}
Handler = Callable[[Request], Awaitable[Response]]


def endpoint(path: str, signed: bool = False) -> Callable[[Handler], Handler]:
    """Register `handler` for GET and HEAD as a plain Starlette route.

    These are the hot paths: a plain route skips FastAPI's per-request dependency solving,
    about a quarter of the time of a cached answer. A signed endpoint checks `sig` first,
    before anything else runs."""

    def register(handler: Handler) -> Handler:
        async def handle(request: Request) -> Response:
            # Named in the scope as FastAPI's own routes are, for the metrics' labels.
            request.scope["route"] = route
            if signed:
                await check_signature(request)
            return await handler(request)

        route = Route(path, handle, methods=READ)
        router.routes.append(route)
        return handler

    return register


def plan_of(request: Request) -> Plan:
    return native.parse(request.query_params.multi_items(), services(request).rules)


@endpoint("/image", signed=True)
async def image(request: Request) -> Response:
    return await image_answer(request, plan_of(request))


@endpoint("/get", signed=True)
async def get(request: Request) -> JSONResponse:
    plan = plan_of(request)
    found = await service(request).ready(plan, accept(request))
    body = await describe(request, found.variant)
    return JSONResponse(body, headers=negotiated(plan) | layer_of(found))


@endpoint("/redirect", signed=True)
async def redirect(request: Request) -> RedirectResponse:
    plan = plan_of(request)
    found = await service(request).ready(plan, accept(request))
    url = await url_of(request, found.variant.name)
    return RedirectResponse(url, status_code=302, headers=negotiated(plan) | layer_of(found))


@endpoint("/show", signed=True)
async def show(request: Request) -> JSONResponse:
    """Never generates in the request: ready now, or queued and 202."""
    plan = plan_of(request)
    app = service(request)
    shown = await app.show(await app.locate(plan, accept(request)))
    if isinstance(shown, Found):
        body = await describe(request, shown.variant) | {"status": "ready"}
        return JSONResponse(body, headers=negotiated(plan) | layer_of(shown))
    name = shown.target.name
    body = {
        "filename": name.rsplit("/", 1)[-1],
        "path": name,
        "url": await url_of(request, name),
        "status": "pending",
    }
    headers = negotiated(plan) | {"X-Fitter-Cache": "miss"}
    return JSONResponse(body, status_code=202, headers=headers)


@endpoint("/info", signed=True)
async def info(request: Request) -> JSONResponse:
    problems: list[Problem] = []
    raw = args.gather(request.query_params.multi_items(), ("path", "sig"), problems)
    if "path" not in raw:
        problems.append(Problem("path", "path is required"))
    if problems:
        raise InvalidRequest(problems)
    found = await service(request).info(args.required_path(raw["path"]))
    return JSONResponse(found.model_dump())


@endpoint("/store/{name:path}")
async def stored(request: Request) -> Response:
    """Variants only: an original or any other file sharing the store's folder is 404."""
    app = service(request)
    name = clean_path(request.path_params["name"], "name")
    if not app.naming.is_variant(name):
        raise NotFound("no such stored image", "name")
    data = await app.store.read(name)
    media_type = MEDIA_TYPES[name.rsplit(".", 1)[-1]]
    max_age = services(request).config.options.max_age
    return Response(
        data, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"}
    )


@endpoint("/metrics")
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@endpoint("/health")
async def health(request: Request) -> JSONResponse:
    """Alive; `degraded` while the cache store is unreachable (answers still flow)."""
    cache_ok = service(request).cache.available
    return JSONResponse(
        {"status": "ok" if cache_ok else "degraded", "cache": "ok" if cache_ok else "unavailable"}
    )
