"""thumbor's URLs: `/unsafe/…` and `/<signature>/…`, below an optional `thumbor.prefix`.

One plain route, registered last, whose path pattern only takes URLs that start (after
any prefix) with `unsafe` or a 28-character signature, so every other unknown path keeps
fitter's usual 404. With neither `thumbor.security_key` nor `thumbor.allow_unsafe` set
the dialect is off and its URLs are unknown paths too. The signature is checked before
anything else is read from the URL, against the path as the client sent it or else its
percent-decoded form; the URL is then read from exactly the text that matched.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.routing import Route

from fitter.dialects import policy, thumbor
from fitter.errors import Forbidden
from fitter.plan import Plan
from fitter.server.answers import (
    READ,
    accept,
    image_answer,
    layer_of,
    max_age,
    service,
    services,
)

router = APIRouter()


class ThumborUrl(Convertor[str]):
    """Any prefix, then `unsafe` or a signature as a whole segment, then the rest."""

    regex = rf"(?:[^/]+/)*?(?:unsafe|{thumbor.SIGNATURE})(?:/.*)?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("thumbor_url", ThumborUrl())


def raw_path(request: Request) -> str:
    """The path as the client wrote it (percent-encoded), below fitter's mount point."""
    raw = request.scope.get("raw_path")
    text = raw.decode("latin-1") if raw else request.url.path
    root = request.scope.get("root_path", "").rstrip("/")
    return text[len(root) :] if root and text.startswith(root) else text


def thumbor_text(request: Request, prefix: str) -> str:
    """The URL after the prefix: `unsafe/…` or `<signature>/…`; 404 outside the prefix."""
    text = raw_path(request).lstrip("/")
    if prefix:
        head = prefix + "/"
        if not text.startswith(head):
            raise HTTPException(404)
        text = text[len(head) :]
    head = text.split("/", 1)[0]
    if head != thumbor.UNSAFE and not re.fullmatch(thumbor.SIGNATURE, head):
        raise HTTPException(404)
    return text if "/" in text else text + "/"


def readable(request: Request, text: str) -> tuple[str, bool]:
    """thumbor's rules, answered as fitter answers signatures (403 with JSON); then the
    text to read the URL from, exactly as signed, and whether that is the decoded form."""
    settings = services(request).config.thumbor
    signature, rest = thumbor.split_signature(text)
    if signature is None:
        if not settings.allow_unsafe:
            raise Forbidden("unsafe URLs are not allowed here: sign them", "signature")
        return text, False
    if settings.security_key is None:
        raise Forbidden("this server has no thumbor.security_key to check signatures", "signature")
    key = settings.security_key.get_secret_value()
    signed = thumbor.signed_text(key, rest, signature)
    if signed is None:
        raise Forbidden("the signature does not match this URL", "signature")
    return f"{signature}/{signed}", signed != rest


async def handle(request: Request) -> Response:
    request.scope["route"] = route
    settings = services(request).config.thumbor
    if not settings.enabled:
        raise HTTPException(404)
    text, decoded = readable(request, thumbor_text(request, settings.prefix))
    app = services(request)
    policy.check_open(app.rules, "thumbor")
    url = thumbor.parse(text, decoded)
    source = None
    if thumbor.needs_source(url) or url.meta:
        info = await app.service.info(url.path)
        source = (info.width, info.height)
    plan = thumbor.to_plan(url, source, app.config.options.default_format)
    policy.check_format(plan, app.rules)
    if url.meta:
        return await meta(request, url, plan, source)
    return await image_answer(request, plan)


async def meta(
    request: Request, url: thumbor.ThumborUrl, plan: Plan, source: tuple[int, int] | None
) -> JSONResponse:
    """thumbor's `/meta/` in short: the source's size and the answer's (after every
    filter). thumbor's list of crop and resize operations is not given."""
    found = await service(request).ready(plan, accept(request))
    width, height = source or (0, 0)
    body = {
        "thumbor": {
            "source": {"url": url.path, "width": width, "height": height},
            "target": {"width": found.variant.width, "height": found.variant.height},
        }
    }
    seconds = max_age(services(request), plan)
    headers = {"Cache-Control": f"public, max-age={seconds}"} | layer_of(found)
    return JSONResponse(body, headers=headers)


route = Route("/{url:thumbor_url}", handle, methods=READ)
router.routes.append(route)
