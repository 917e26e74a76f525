"""Every failure becomes a JSON answer: `{"errors": [{"param", "message"}, …]}`.

Each 5xx answer is also counted by the error's class, for /metrics.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from fitter.errors import FitterError, Problem
from fitter.server.logs import HEADER, bound_request_id, request_id_of

log = logging.getLogger("fitter.server")


def error_response(
    status: int, problems: list[Problem], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"errors": [p.as_dict() for p in problems]}, status_code=status, headers=headers
    )


def count_server_error(request: Request, status: int, error: Exception) -> None:
    if status >= 500:
        request.app.state.metrics.server_errors.labels(type(error).__name__).inc()


async def fitter_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, FitterError)
    count_server_error(request, error.status, error)
    return error_response(error.status, error.problems, dict(error.headers))


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    count_server_error(request, error.status_code, error)
    message = "no such endpoint" if error.status_code == 404 else str(error.detail).lower()
    headers = dict(error.headers) if error.headers else None
    return error_response(error.status_code, [Problem(None, message)], headers)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette calls this from its outermost middleware, after the request-id middleware
    has let go: the id is taken back from the request so that the log line and the answer
    still carry it."""
    count_server_error(request, 500, error)
    rid = request_id_of(request.scope)
    with bound_request_id(rid):
        log.exception("unexpected error on %s", request.url.path, exc_info=error)
    headers = {HEADER: rid} if rid else None
    return error_response(500, [Problem(None, "internal error")], headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(FitterError, fitter_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
