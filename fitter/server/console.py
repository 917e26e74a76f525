"""The web console: a page to explore the API, and the small JSON API it calls.

The page is static (`fitter/console/`). It never sees a key: it asks the server to sign the
`/image`, `/get`, `/redirect`, `/info` and `/upload` URLs it shows. That signing endpoint
signs whatever parameters it is given, so it is an oracle for anyone who can reach it: the
whole console, its API included, exists only while `options.console` is true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse

from fitter import signing
from fitter.dialects import args
from fitter.errors import InvalidRequest, NotFound, Problem
from fitter.server.answers import services

PAGE = Path(__file__).resolve().parent.parent / "console"
ASSETS = {"console.css": "text/css", "console.js": "text/javascript"}
SIGNABLE = frozenset({"/image", "/get", "/redirect", "/show", "/info"})
MOST_URLS = 10
PAGE_SIZE = 50
MOST_PAGE = 500
# Paths scanned for one page of a filtered listing; past it the page ends early, with a cursor.
MOST_SCANNED = 20_000
BATCH = 1_000


async def console_enabled(request: Request) -> None:
    if not services(request).config.options.console:
        raise NotFound("the console is turned off on this server", None)


router = APIRouter(dependencies=[Depends(console_enabled)])


@router.get("/", include_in_schema=False)
@router.get("/console", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(PAGE / "index.html", media_type="text/html", headers=NO_STORE)


@router.get("/console/{asset}", include_in_schema=False)
async def asset(asset: str) -> FileResponse:
    if asset not in ASSETS:
        raise NotFound("no such console file", None)
    return FileResponse(PAGE / asset, media_type=ASSETS[asset], headers=NO_STORE)


NO_STORE = {"Cache-Control": "no-store"}


@router.get("/console/api/settings")
async def settings(request: Request) -> dict[str, Any]:
    """What the page needs to know about this server: never a key, only whether there is one."""
    config = services(request).config
    return {
        "signed": bool(config.security.key),
        "upload": services(request).uploads is not None,
        "default_format": config.options.default_format,
    }


def integer(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isdecimal() or not low <= int(raw) <= high:
        raise InvalidRequest.one(name, f"{name} must be an integer from {low} to {high}")
    return int(raw)


@router.get("/console/api/images")
async def images(request: Request) -> dict[str, Any]:
    """`{"images": [...], "next": cursor | null}`: the source's originals in code-point order,
    those whose path contains `q` (any case), `limit` a page, after the cursor `after`."""
    problems: list[Problem] = []
    query = args.gather(request.query_params.multi_items(), ("q", "after", "limit"), problems)
    if problems:
        raise InvalidRequest(problems)
    limit = integer(query.get("limit"), "limit", PAGE_SIZE, 1, MOST_PAGE)
    needle = query.get("q", "").strip().lower()
    cursor = query.get("after") or None
    app = services(request)
    found: list[str] = []
    scanned = 0
    more = True
    while len(found) <= limit and scanned < MOST_SCANNED:
        batch = await app.source.list("", BATCH, cursor)
        for name in batch:
            cursor = name
            scanned += 1
            # The store may share the source's folder: its variants are not originals.
            if needle in name.lower() and not app.service.naming.is_variant(name):
                found.append(name)
                if len(found) > limit:
                    break
        if len(batch) < BATCH:
            more = False
            break
    if len(found) > limit:
        found = found[:limit]
        return {"images": found, "next": found[-1]}
    # The scan stopped at its bound: the next page goes on from the last path looked at.
    return {"images": found, "next": cursor if more else None}


@router.post("/console/api/sign")
async def sign(request: Request) -> JSONResponse:
    """`{"urls": ["/image?…", …]}` → the same URLs signed with the first key (unchanged
    when the server has none). Only fitter's own read endpoints, and `/upload` when uploads
    are on. JSON only: a cross-site form cannot send it without the browser asking first."""
    app = services(request)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise InvalidRequest.one(None, "send the URLs as application/json")
    try:
        body = await request.json()
    except ValueError:
        raise InvalidRequest.one("urls", "the body is not JSON") from None
    urls = body.get("urls") if isinstance(body, dict) else None
    if not isinstance(urls, list) or not 1 <= len(urls) <= MOST_URLS:
        raise InvalidRequest.one("urls", f"urls must be a list of 1 to {MOST_URLS} URLs")
    allowed = SIGNABLE | ({"/upload"} if app.uploads is not None else set())
    problems = []
    for url in urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme or parts.netloc or parts.path not in allowed:
            shown = url if isinstance(url, str) else type(url).__name__
            problems.append(Problem("urls", f"cannot sign {shown[:100]!r}"))
    if problems:
        raise InvalidRequest(problems)
    keys = app.config.security.key
    if keys:
        key = keys[0].get_secret_value()
        urls = [signing.sign_url(url, key) for url in urls]
    return JSONResponse({"urls": urls}, headers=NO_STORE)
