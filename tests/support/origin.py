"""Real HTTP servers on loopback for the http source's tests: an `Origin` answers routes
by path and counts the requests it gets."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
CHUNK = 64 * 1024
HUGE = 64 * 1024 * 1024

Route = Callable[[BaseHTTPRequestHandler], None]


def answer(status: int, body: bytes = b"", **headers: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return answer(status, Location=location)


class Origin:
    """A threaded HTTP server on a loopback address, counting the requests per path."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self.sent = 0  # body bytes the /huge route managed to write
        self.huge_done = threading.Event()
        self.release = threading.Event()
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                origin.hits[path] += 1
                origin.headers.append(dict(self.headers))
                route = origin.routes.get(path, answer(404))
                route(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        self.routes.update(
            {
                "/images/a.png": answer(200, IMAGE, Content_Type="image/png"),
                "/images/tagged.png": answer(200, IMAGE, ETag='"v1"'),
                "/images/missing.png": answer(404),
                "/images/gone.png": answer(410),
                "/images/broken.png": answer(500),
                "/images/forbidden.png": answer(403),
                "/images/slow.png": self.slow,
                "/images/steady.png": self.steady,
                "/images/huge.png": self.huge,
                "/images/declared.png": self.declared,
                "/images/hop": redirect("/images/a.png"),
                "/images/loop": redirect("/images/loop", 307),
                "/images/nowhere": answer(302),
            }
        )

    def url(self, path: str = "/images/", host: str | None = None, port: int | None = None):
        return f"http://{host or self.host}:{port or self.port}{path}"

    def total(self) -> int:
        return sum(self.hits.values())

    def slow(self, handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        answer(200, IMAGE)(handler)

    def steady(self, handler: BaseHTTPRequestHandler) -> None:
        """Answers once `release` is set: callers asking before then overlap."""
        self.release.wait(30)
        answer(200, IMAGE)(handler)

    def huge(self, handler: BaseHTTPRequestHandler) -> None:
        # No Content-Length: the limit must be found while streaming.
        try:
            handler.send_response(200)
            handler.end_headers()
            chunk = b"\0" * CHUNK
            while self.sent < HUGE:
                handler.wfile.write(chunk)
                self.sent += CHUNK
        except OSError:
            pass
        finally:
            self.huge_done.set()

    def declared(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(HUGE))
        handler.end_headers()
        with contextlib.suppress(OSError):
            handler.wfile.write(IMAGE)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
