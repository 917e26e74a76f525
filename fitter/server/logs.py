"""Logs a machine can read: one JSON object per line, each carrying the id of its request.

`RequestIdMiddleware` gives every request an id (the client's `X-Request-ID` when it is a sane
token, else a new one), keeps it in a context variable while the request runs, and answers it
in `X-Request-ID`; `JsonFormatter` writes it into every line logged meanwhile. `log_access`,
an exchange listener, writes the one access line per request on `fitter.access`.

`create_app` never configures logging (a library must not take over its host's): a program
that serves fitter calls `configure_logging`, or hands `logging_config()` to uvicorn, which
then applies it in each of its worker processes too.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitter.server.exchange import Exchange

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

request_id: ContextVar[str | None] = ContextVar("fitter_request_id", default=None)
access = logging.getLogger("fitter.access")

# Attributes every LogRecord has; any other attribute came from `extra=` and is written as a
# field of its own. uvicorn's `color_message` repeats the message with terminal colours.
RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",
    "request_id",
}


@contextmanager
def bound_request_id(value: str | None) -> Iterator[None]:
    """Log as part of request `value` (for code that runs after the middleware let go)."""
    token = request_id.set(value)
    try:
        yield
    finally:
        request_id.reset(token)


def request_id_of(scope: Scope) -> str | None:
    """The id the middleware gave this request; also `request.state.request_id`."""
    found = scope.get("state", {}).get("request_id")
    return found if isinstance(found, str) else None


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"?, "exception"?, …extra}` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        for name, value in vars(record).items():
            if name not in RECORD_FIELDS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # One line whatever the message holds: json.dumps escapes newlines.
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a terminal: the usual line, with the request id in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None) or request_id.get()
        return f"{line} [{rid}]" if rid else line


def logging_config(json: bool = True, level: str | int = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary: everything, uvicorn's loggers included, to
    stderr in one format. Give it to `uvicorn.run(log_config=…)` so that each worker process
    applies it (they are spawned, and inherit no logging set up in the parent)."""
    formatter = "fitter.server.logs.JsonFormatter" if json else "fitter.server.logs.TextFormatter"
    level = level.upper() if isinstance(level, str) else level
    loggers: dict[str, Any] = {
        # uvicorn's loggers lose their own handlers and pass their records up to the root.
        name: {"handlers": [], "propagate": True}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    }
    numeric = level if isinstance(level, int) else logging.getLevelName(level)
    if not (isinstance(numeric, int) and numeric <= logging.DEBUG):
        # pyvips relays libvips' chatter at INFO ("thumbnailing …", a dozen lines an image).
        loggers["pyvips"] = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"fitter": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "fitter",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": loggers,
    }


def configure_logging(json: bool = True, level: str | int = "INFO") -> None:
    """Send every log record to stderr, one JSON object (or one text line) each. For programs
    that serve fitter (`fitter serve`); `create_app` never calls it."""
    logging.config.dictConfig(logging_config(json, level))


def log_access(exchange: Exchange) -> None:
    """The one line per answered request."""
    if not access.isEnabledFor(logging.INFO):
        return
    milliseconds = round(exchange.seconds * 1000, 1)
    fields: dict[str, Any] = {
        "method": exchange.method,
        "route": exchange.route,
        "path": exchange.path,
        "status": exchange.status,
        "duration_ms": milliseconds,
        "bytes": exchange.bytes,
    }
    if exchange.layer is not None:
        fields["layer"] = exchange.layer
    access.info(
        "%s %s %s %s ms %s B%s",
        exchange.method,
        exchange.path,
        exchange.status,
        milliseconds,
        exchange.bytes,
        f" {exchange.layer}" if exchange.layer else "",
        extra=fields,
    )


class RequestIdMiddleware:
    """Names each request: a sane incoming `X-Request-ID` is kept, anything else replaced.

    Pure ASGI: it touches only the response's first message, never its body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope) or uuid.uuid4().hex
        # For handlers that run outside this middleware (Starlette's last-resort 500 handler).
        scope.setdefault("state", {})["request_id"] = rid
        header = (HEADER.lower().encode(), rid.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        with bound_request_id(rid):
            await self.app(scope, receive, send_with_id)


def incoming_id(scope: Scope) -> str | None:
    """The client's id if it is a sane token; ids end up in logs, so nothing else is kept."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if SANE_ID.fullmatch(text) else None
    return None
