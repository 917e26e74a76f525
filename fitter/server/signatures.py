"""The signature check every signed endpoint depends on (see `fitter.signing`)."""

from __future__ import annotations

from fastapi import Depends, Request

from fitter import signing
from fitter.errors import Forbidden
from fitter.server.answers import services


async def check_signature(request: Request) -> None:
    """With `security.key` set, a valid `sig` (exactly one) over this request's own path and
    parameters; runs before the request is parsed or any storage is touched. Every problem
    with `sig` is 403, a repeated one too: nothing about the request is trusted before it."""
    security = services(request).config.security
    if not security.key:
        return
    items = request.query_params.multi_items()
    given = [value for name, value in items if name == signing.PARAMETER]
    if not given:
        if security.allow_unsigned:
            return
        raise Forbidden("sig is missing: this server answers signed URLs only", "sig")
    if len(given) > 1:
        raise Forbidden("sig must be given exactly once", "sig")
    keys = [key.get_secret_value() for key in security.key]
    if not signing.verify(keys, request.url.path, items, given[0]):
        raise Forbidden("sig does not match this request's path and parameters", "sig")


SIGNED = [Depends(check_signature)]
