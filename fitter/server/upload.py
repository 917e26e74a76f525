"""`POST /upload`: an original sent in a multipart form, kept in the source storage."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from fitter.dialects import args
from fitter.errors import InvalidRequest, NotFound, Problem, TooLarge
from fitter.server.answers import services
from fitter.server.signatures import SIGNED

router = APIRouter()

# Room for the multipart framing around the file itself.
FORM_OVERHEAD = 64 * 1024


@router.post("/upload", dependencies=SIGNED)
async def upload(request: Request) -> JSONResponse:
    """201 with the kept original's path and header; the path comes from the signed query
    string (or, on a server without keys, from the form), else from the file's name."""
    app = services(request)
    uploads = app.uploads
    if uploads is None:
        raise NotFound("uploads are not enabled on this server", None)
    most = uploads.rules.max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > most + FORM_OVERHEAD:
        raise TooLarge(f"the upload is over the limit of {most} bytes", "file")
    problems: list[Problem] = []
    args.gather(request.query_params.multi_items(), ("path", "sig"), problems)
    async with request.form(max_files=1, max_fields=4) as form:
        file = form.get("file")
        path = request.query_params.get("path")
        if "path" in form:
            if app.config.security.key:
                problems.append(Problem("path", "give path in the signed query string"))
            elif path is None:
                path = str(form["path"])
        if not isinstance(file, UploadFile):
            problems.append(Problem("file", "a multipart field named file is required"))
        if problems:
            raise InvalidRequest(problems)
        assert isinstance(file, UploadFile)
        data = await file.read(most + 1)
        name, info = await uploads.save(data, path, file.filename)
    body = {
        "path": name,
        "width": info.width,
        "height": info.height,
        "format": info.format,
        "bytes": info.bytes,
    }
    return JSONResponse(body, status_code=201)
