"""The native HTTP API: thin adapters from requests to the pipeline and back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST

from fitter.dialects import native
from fitter.errors import InvalidRequest, Problem
from fitter.models import Variant
from fitter.pipeline import Found, Target
from fitter.plan import AUTO, ImageFormat, Plan
from fitter.server.services import Services
from fitter.storage.paths import clean_path

router = APIRouter()

MEDIA_TYPES = {f.extension: f.media_type for f in ImageFormat}


def services(request: Request) -> Services:
    return request.app.state.services


def plan_of(request: Request) -> Plan:
    return native.parse(request.query_params.multi_items(), services(request).rules)


def url_of(request: Request, name: str) -> str:
    return services(request).pipeline.store.url(name) or f"{request.base_url}store/{name}"


def describe(request: Request, variant: Variant) -> dict[str, Any]:
    return {
        "filename": variant.filename,
        "path": variant.name,
        "url": url_of(request, variant.name),
        "width": variant.width,
        "height": variant.height,
        "format": variant.format,
        "bytes": variant.bytes,
    }


def layer_header(request: Request, found: Found) -> dict[str, str]:
    """`X-Fitter-Cache`: which layer had the variant, counted for /metrics too."""
    services(request).metrics.answers.labels(found.layer).inc()
    return {"X-Fitter-Cache": found.layer}


@router.get("/image")
async def image(request: Request) -> Response:
    plan = plan_of(request)
    pipeline = services(request).pipeline
    target = await pipeline.locate(plan, request.headers.get("accept"))
    headers = {
        "ETag": f'"{target.key}"',
        "Cache-Control": f"public, max-age={services(request).config.options.max_age}",
    }
    if plan.format == AUTO:
        headers["Vary"] = "Accept"
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    found = await pipeline.lookup(target, with_data=True) or await pipeline.generate(target)
    return Response(
        found.data,
        media_type=target.output.format.media_type,
        headers=headers | layer_header(request, found),
    )


@router.get("/get")
async def get(request: Request) -> JSONResponse:
    found = await services(request).pipeline.get(plan_of(request), request.headers.get("accept"))
    return JSONResponse(describe(request, found.variant), headers=layer_header(request, found))


@router.get("/redirect")
async def redirect(request: Request) -> RedirectResponse:
    found = await services(request).pipeline.get(plan_of(request), request.headers.get("accept"))
    return RedirectResponse(
        url_of(request, found.variant.name), status_code=302, headers=layer_header(request, found)
    )


@router.get("/show")
async def show(request: Request) -> JSONResponse:
    """Never generates in the request: ready now, or queued and 202."""
    app = services(request)
    target: Target = await app.pipeline.locate(plan_of(request), request.headers.get("accept"))
    found = await app.pipeline.lookup(target)
    if found is not None:
        body = describe(request, found.variant) | {"status": "ready"}
        return JSONResponse(body, headers=layer_header(request, found))
    failure = app.executor.take_failure(target.key)
    if failure is not None and not app.executor.pending(target.key):
        raise failure
    app.executor.submit(target)
    body = {
        "filename": target.name.rsplit("/", 1)[-1],
        "path": target.name,
        "url": url_of(request, target.name),
        "status": "pending",
    }
    return JSONResponse(body, status_code=202, headers={"X-Fitter-Cache": "miss"})


@router.get("/info")
async def info(request: Request) -> JSONResponse:
    items = request.query_params.multi_items()
    unknown = [
        Problem(k, f"unknown parameter {k[:40]!r}") for k, _ in items if k not in ("path", "sig")
    ]
    paths = [v for k, v in items if k == "path"]
    if len(paths) != 1:
        unknown.append(Problem("path", "path is required once"))
    if unknown:
        raise InvalidRequest(unknown)
    found = await services(request).pipeline.info(native.parse_source_path(paths[0]))
    return JSONResponse(found.model_dump())


@router.get("/store/{name:path}")
async def stored(request: Request, name: str) -> Response:
    name = clean_path(name, "name")
    data = await services(request).pipeline.store.read(name)
    media_type = MEDIA_TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    max_age = services(request).config.options.max_age
    return Response(
        data, media_type=media_type, headers={"Cache-Control": f"public, max-age={max_age}"}
    )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(services(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/health")
async def health(request: Request) -> dict[str, str]:
    """Alive; `degraded` while the cache store is unreachable (answers still flow)."""
    cache_ok = services(request).pipeline.cache.available
    return {
        "status": "ok" if cache_ok else "degraded",
        "cache": "ok" if cache_ok else "unavailable",
    }
