"""Every failure becomes a JSON answer: `{"errors": [{"param", "message"}, …]}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from fitter.errors import FitterError, Problem

log = logging.getLogger("fitter.server")


def error_response(status: int, problems: list[Problem], headers: dict[str, str] | None = None):
    return JSONResponse(
        {"errors": [p.as_dict() for p in problems]}, status_code=status, headers=headers
    )


async def fitter_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, FitterError)
    return error_response(error.status, error.problems, error.headers)


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    message = "no such endpoint" if error.status_code == 404 else str(error.detail).lower()
    return error_response(error.status_code, [Problem(None, message)], error.headers)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=error)
    return error_response(500, [Problem(None, "internal error")])


def install(app: FastAPI) -> None:
    app.add_exception_handler(FitterError, fitter_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
