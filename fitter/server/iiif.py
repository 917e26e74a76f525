"""The IIIF Image API endpoints: `/iiif/3/…` and `/iiif/2/…` (compliance level 2).

Thin adapters like the native routes: the dialect parses, the source's header (read once
per version by the service) gives the numbers IIIF's size rules need, and images are
answered by the same `image_answer` as `/image`, so ETags, 304s and caching are shared.
Every answer, errors included, carries `Access-Control-Allow-Origin: *`: viewers on other
sites read tiles and info.json from script.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from fitter import geometry
from fitter.accept import media_weights
from fitter.dialects import iiif, policy
from fitter.dialects.iiif import Version
from fitter.errors import FitterError, InvalidRequest, NotFound, Problem
from fitter.plan import Fit
from fitter.server import errors
from fitter.server.answers import READ, image_answer, service, services

router = APIRouter()

CORS = {"Access-Control-Allow-Origin": "*"}
JSON_LD = "application/ld+json"


def register(version: Version) -> None:
    """One plain route per version (no dependency solving: tiles are a hot path)."""
    path = f"/iiif/{version}/{{rest:path}}"

    async def handle(request: Request) -> Response:
        request.scope["route"] = route
        try:
            response = await answer(request, version)
        except FitterError as error:
            # The source path a backend names is the identifier here.
            error.problems = [
                Problem("identifier", p.message) if p.param == "path" else p for p in error.problems
            ]
            response = await errors.fitter_error(request, error)
        except Exception as error:  # the app's handler would answer without CORS
            response = await errors.unexpected_error(request, error)
        response.headers.update(CORS)
        return response

    route = Route(path, handle, methods=READ)
    router.routes.append(route)


async def answer(request: Request, version: Version) -> Response:
    config = services(request).config
    if not config.iiif.serves(config.security):
        raise NotFound("the IIIF endpoints are off on this server (see iiif.enabled)", None)
    policy.check_open(services(request).rules, "IIIF")
    resource = iiif.split_path(rest_of(request, version))
    if not resource.identifier:
        raise InvalidRequest.one("identifier", "identifier is missing")
    handler: Callable[[Request, Version, iiif.Resource], Awaitable[Response]]
    if isinstance(resource, iiif.Image):
        handler = image
    elif isinstance(resource, iiif.Info):
        handler = info
    else:
        handler = base_redirect
    return await handler(request, version, resource)


async def image(request: Request, version: Version, resource: iiif.Resource) -> Response:
    assert isinstance(resource, iiif.Image)
    path = iiif.source_path(resource.identifier)
    limit = limits(request)
    parsed = iiif.with_limits(iiif.parse_image(version, path, resource), limit)
    header = await service(request).info(path)
    source = (header.width, header.height)
    with size_named():
        box = geometry.region_box(parsed.plan.region, source)
        part = (box[2], box[3])
        size, _, _ = geometry.size_stage(parsed.plan, part, limit)
    problems = iiif.size_problems(parsed, part, size)
    if problems:
        raise InvalidRequest(problems)
    plan = iiif.resolve(parsed, source, box, size)
    policy.check_format(plan, services(request).rules)
    response = await image_answer(request, plan)
    largest = geometry.resize_geometry(part, *limit, Fit.INSIDE, False, limit).output
    canonical = iiif.canonical_path(parsed, source, box, size, largest)
    base = base_uri(request, version, resource.identifier)
    response.headers["Link"] = (
        f'<{base}/{canonical}>;rel="canonical", <{version.profile}>;rel="profile"'
    )
    return response


async def info(request: Request, version: Version, resource: iiif.Resource) -> Response:
    path = iiif.source_path(resource.identifier)
    header = await service(request).info(path)
    base = base_uri(request, version, resource.identifier)
    body = iiif.info_document(version, base, (header.width, header.height), limits(request))
    max_age = services(request).config.options.max_age
    headers = {"Cache-Control": f"public, max-age={max_age}", "Vary": "Accept"}
    if wants_json_ld(request.headers.get("accept", "")):
        media_type = JSON_LD
        if version is Version.V3:
            media_type += f';profile="{version.context}"'
    else:
        media_type = "application/json"
        # 2.1: plain JSON names its context in a Link header instead.
        if version is Version.V2:
            headers["Link"] = (
                f'<{version.context}>;rel="http://www.w3.org/ns/json-ld#context";type="{JSON_LD}"'
            )
    return JSONResponse(body, media_type=media_type, headers=headers)


async def base_redirect(request: Request, version: Version, resource: iiif.Resource) -> Response:
    """The base URI answers 303 to its info.json (404 first for an unknown identifier)."""
    path = iiif.source_path(resource.identifier)
    await service(request).info(path)
    url = base_uri(request, version, resource.identifier) + "/info.json"
    return RedirectResponse(url, status_code=303)


def limits(request: Request) -> tuple[int, int]:
    return services(request).config.limits.box


def rest_of(request: Request, version: Version) -> str:
    """The path after `/iiif/{version}/`, still percent-encoded: `a%2Fb.jpg` must stay one
    identifier, while Starlette's decoded path would make it two segments."""
    prefix = f"/iiif/{version}/"
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        text = raw.decode("latin-1").partition("?")[0]
        root = quote(request.scope.get("root_path", "").rstrip("/"))
        if root and text.startswith(root):
            text = text[len(root) :]
        if text.startswith(prefix):
            return text[len(prefix) :]
    return quote(str(request.path_params["rest"]), safe="/")


def base_uri(request: Request, version: Version, identifier: str) -> str:
    """The image's base URI as the client reached it: scheme, host and port of the request,
    the prefix fitter is mounted or proxied at, and the identifier in its canonical
    encoding."""
    root = request.scope.get("root_path", "").rstrip("/")
    encoded = iiif.encode_identifier(identifier)
    return f"{request.url.scheme}://{request.url.netloc}{root}/iiif/{version}/{encoded}"


def wants_json_ld(accept: str) -> bool:
    """`Accept: application/ld+json` (with q > 0, and not below application/json's)."""
    weights = media_weights(accept)
    ld = weights.get(JSON_LD, 0.0)
    return ld > 0 and ld >= weights.get("application/json", 0.0)


@contextmanager
def size_named() -> Iterator[None]:
    """The size stage's limit errors name `width`/`height`; in IIIF they are `size`."""
    try:
        yield
    except InvalidRequest as error:
        error.problems = [
            Problem("size", p.message) if p.param in ("width", "height") else p
            for p in error.problems
        ]
        raise


for _version in Version:
    register(_version)
