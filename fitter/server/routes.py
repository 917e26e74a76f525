"""The native HTTP API: thin adapters from requests to the pipeline and back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.routing import Route

from fitter.dialects import native
from fitter.errors import InvalidRequest, NotFound, Problem
from fitter.models import Variant
from fitter.paths import clean_path
from fitter.pipeline import Found, Target
from fitter.plan import AUTO, ImageFormat, Plan
from fitter.server.services import Services
from fitter.server.signatures import check_signature

router = APIRouter()

MEDIA_TYPES = {f.extension: f.media_type for f in ImageFormat}
READ = ["GET", "HEAD"]
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


def services(request: Request) -> Services:
    return request.app.state.services


def plan_of(request: Request) -> Plan:
    return native.parse(request.query_params.multi_items(), services(request).rules)


def accept(request: Request) -> str | None:
    return request.headers.get("accept")


async def url_of(request: Request, name: str) -> str:
    """The store's public URL of `name`, else fitter's own `/store/` address, below the
    prefix fitter is mounted or proxied at (`root_path`: Starlette's `base_url` gives the
    outermost application's root instead)."""
    public = await services(request).pipeline.store.url(name)
    root = request.scope.get("root_path", "").rstrip("/")
    return public or f"{request.url.scheme}://{request.url.netloc}{root}/store/{name}"


async def describe(request: Request, variant: Variant) -> dict[str, Any]:
    return {
        "filename": variant.filename,
        "path": variant.name,
        "url": await url_of(request, variant.name),
        "width": variant.width,
        "height": variant.height,
        "format": variant.format,
        "bytes": variant.bytes,
    }


def headers_for(request: Request, plan: Plan, found: Found | None = None) -> dict[str, str]:
    """`Vary: Accept` when the format was negotiated (a shared cache must keep one answer per
    format), and `X-Fitter-Cache`: which layer had the variant, counted for /metrics too."""
    headers = {"Vary": "Accept"} if plan.format == AUTO else {}
    if found is not None:
        services(request).metrics.answers.labels(found.layer).inc()
        headers["X-Fitter-Cache"] = found.layer
    return headers


@endpoint("/image", signed=True)
async def image(request: Request) -> Response:
    return await image_answer(request, plan_of(request))


async def image_answer(request: Request, plan: Plan) -> Response:
    """The variant's bytes, with ETag and 304: every dialect's image endpoint answers so."""
    app = services(request)
    target = await app.pipeline.locate(plan, accept(request))
    max_age = app.config.options.max_age if plan.max_age is None else plan.max_age
    headers = headers_for(request, plan) | {
        "ETag": f'"{target.key}"',
        "Cache-Control": f"public, max-age={max_age}",
    }
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    found = await app.pipeline.lookup(target, with_data=True) or await app.pipeline.generate(target)
    return Response(
        found.data,
        media_type=target.output.format.media_type,
        headers=headers | headers_for(request, plan, found),
    )


@endpoint("/get", signed=True)
async def get(request: Request) -> JSONResponse:
    plan = plan_of(request)
    found = await services(request).pipeline.get(plan, accept(request))
    body = await describe(request, found.variant)
    return JSONResponse(body, headers=headers_for(request, plan, found))


@endpoint("/redirect", signed=True)
async def redirect(request: Request) -> RedirectResponse:
    plan = plan_of(request)
    found = await services(request).pipeline.get(plan, accept(request))
    url = await url_of(request, found.variant.name)
    return RedirectResponse(url, status_code=302, headers=headers_for(request, plan, found))


@endpoint("/show", signed=True)
async def show(request: Request) -> JSONResponse:
    """Never generates in the request: ready now, or queued and 202."""
    app = services(request)
    plan = plan_of(request)
    target: Target = await app.pipeline.locate(plan, accept(request))
    found = await app.pipeline.lookup(target)
    if found is not None:
        body = await describe(request, found.variant) | {"status": "ready"}
        return JSONResponse(body, headers=headers_for(request, plan, found))
    failure = await app.executor.take_failure(target.key)
    if failure is not None:
        raise failure
    await app.executor.submit(target)
    body = {
        "filename": target.name.rsplit("/", 1)[-1],
        "path": target.name,
        "url": await url_of(request, target.name),
        "status": "pending",
    }
    headers = headers_for(request, plan) | {"X-Fitter-Cache": "miss"}
    return JSONResponse(body, status_code=202, headers=headers)


@endpoint("/info", signed=True)
async def info(request: Request) -> JSONResponse:
    problems: list[Problem] = []
    raw = native.gather(request.query_params.multi_items(), problems)
    problems += [
        Problem(name, f"unknown parameter {name!r}") for name in raw if name not in ("path", "sig")
    ]
    if "path" not in raw:
        problems.append(Problem("path", "path is required"))
    if problems:
        raise InvalidRequest(problems)
    found = await services(request).pipeline.info(native.parse_source_path(raw["path"]))
    return JSONResponse(found.model_dump())


@endpoint("/store/{name:path}")
async def stored(request: Request) -> Response:
    """Variants only: an original or any other file sharing the store's folder is 404."""
    pipeline = services(request).pipeline
    name = request.path_params["name"]
    name = clean_path(name, "name")
    if not pipeline.is_variant_name(name):
        raise NotFound("no such stored image", "name")
    data = await pipeline.store.read(name)
    media_type = MEDIA_TYPES[name.rsplit(".", 1)[-1]]
    max_age = services(request).config.options.max_age
    return Response(
        data, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"}
    )


@endpoint("/metrics")
async def metrics(request: Request) -> Response:
    return Response(services(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


@endpoint("/health")
async def health(request: Request) -> JSONResponse:
    """Alive; `degraded` while the cache store is unreachable (answers still flow)."""
    cache_ok = services(request).pipeline.cache.available
    return JSONResponse(
        {"status": "ok" if cache_ok else "degraded", "cache": "ok" if cache_ok else "unavailable"}
    )
