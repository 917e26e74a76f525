"""One request and its answer, measured once on the way out and handed to the listeners
(the metrics and the access log).

`ExchangeMiddleware` is pure ASGI (not BaseHTTPMiddleware): it watches the messages go
by and passes each on at once, so a streamed answer stays streamed and nothing is
buffered. While a request runs its Exchange is the `current` one, so that what the
service reports about it (the layer that had the variant) lands on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A request that matched no route: its raw path must not become a label (one series each).
UNMATCHED = "unmatched"
SCRAPE_PATH = "/metrics"


@dataclass
class Exchange:
    """What one request asked and what it was answered."""

    method: str
    path: str
    route: str = UNMATCHED
    status: int = 0
    bytes: int = 0
    seconds: float = 0.0
    layer: str | None = None
    # The scrape of /metrics does not count itself as in flight.
    counted: bool = True


_current: ContextVar[Exchange | None] = ContextVar("fitter_exchange", default=None)


def current() -> Exchange | None:
    """The exchange of the request being answered, or None outside a request."""
    return _current.get()


Listener = Callable[[Exchange], None]


class ExchangeMiddleware:
    """Measures each request; `starting` listeners hear of it when it arrives, `listeners`
    once it is answered (or has failed)."""

    def __init__(
        self, app: ASGIApp, starting: Sequence[Listener], listeners: Sequence[Listener]
    ) -> None:
        self.app = app
        self.starting = starting
        self.listeners = listeners

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        exchange = Exchange(scope["method"], scope["path"])
        exchange.counted = relative_path(scope) != SCRAPE_PATH

        async def measured(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
            elif message["type"] == "http.response.body":
                exchange.bytes += len(message.get("body", b""))
            await send(message)

        token = _current.set(exchange)
        for listener in self.starting:
            listener(exchange)
        try:
            await self.app(scope, receive, measured)
        except Exception:
            if not exchange.status:
                # Starlette's outermost middleware answers an unhandled exception with a 500.
                exchange.status = 500
            raise
        except BaseException:
            if not exchange.status:
                # Cancelled before answering: the client (or the server) went away.
                exchange.status = 499
            raise
        finally:
            _current.reset(token)
            exchange.seconds = time.perf_counter() - started
            exchange.route = route_template(scope)
            for listener in self.listeners:
                listener(exchange)


def route_template(scope: Scope) -> str:
    """The matched route's template, such as `/store/{name:path}`, never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def relative_path(scope: Scope) -> str:
    """The path inside this application, when it is mounted below a root path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
