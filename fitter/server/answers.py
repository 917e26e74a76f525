"""What every dialect's routes share: the service of the request's application, and the
image answer (bytes, ETag, 304, Cache-Control) and JSON description of a variant."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from fitter.compose import Services
from fitter.models import Variant
from fitter.plan import AUTO, Plan
from fitter.service import Found, Service

READ = ["GET", "HEAD"]


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def service(request: Request) -> Service:
    return services(request).service


def accept(request: Request) -> str | None:
    return request.headers.get("accept")


async def url_of(request: Request, name: str) -> str:
    """The store's public URL of `name`, else fitter's own `/store/` address, below the
    prefix fitter is mounted or proxied at (`root_path`: Starlette's `base_url` gives the
    outermost application's root instead)."""
    public = await service(request).url(name)
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


def negotiated(plan: Plan) -> dict[str, str]:
    """`Vary: Accept` when the format was negotiated: a shared cache must keep one answer
    per format."""
    return {"Vary": "Accept"} if plan.format == AUTO else {}


def layer_of(found: Found) -> dict[str, str]:
    return {"X-Fitter-Cache": found.layer}


def max_age(app: Services, plan: Plan) -> int:
    return app.config.options.max_age if plan.max_age is None else plan.max_age


async def image_answer(request: Request, plan: Plan) -> Response:
    """The variant's bytes, with ETag and 304: every dialect's image endpoint answers so."""
    app = services(request)
    target = await app.service.locate(plan, accept(request))
    headers = negotiated(plan) | {
        "ETag": f'"{target.key}"',
        "Cache-Control": f"public, max-age={max_age(app, plan)}",
    }
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    found = await app.service.ensure(target)
    return Response(
        found.data, media_type=target.output.format.media_type, headers=headers | layer_of(found)
    )
