"""fitter's ASGI application answered in this process, through httpx's ASGI transport.

Most HTTP semantics need no real server: an `App` runs the application on an event loop of
its own (an anyio blocking portal, one thread) and gives a synchronous `httpx.Client` whose
requests are answered by the application on that loop. Everything the application holds
(single-flights, locks, the image pool) lives on that one loop, however many clients ask.
Concurrent requests are made with `App.gather`, which runs them as tasks on the same loop.

A real `fitter serve` process is still started by the end-to-end tests (`conftest.Server`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import yaml

BASE_URL = "http://testserver"


class PortalTransport(httpx.BaseTransport):
    """A synchronous transport that hands each request to the application's own loop."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal, app: Any) -> None:
        self.portal = portal
        self.asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            response = await self.asgi.handle_async_request(forwarded)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        status, headers, content = self.portal.call(exchange)
        return httpx.Response(status, headers=headers, content=content, request=request)


@dataclass
class App:
    """One application on its own loop, with the folders it reads and writes."""

    app: Any
    root: Path
    store: Path
    portal: anyio.from_thread.BlockingPortal
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    url: str = BASE_URL

    @property
    def services(self) -> Any:
        return self.app.state.services

    def http(self, **options: Any) -> httpx.Client:
        """A new synchronous client (close it, or use it in a `with`)."""
        options.setdefault("timeout", 60)
        transport = PortalTransport(self.portal, self.app)
        return httpx.Client(transport=transport, base_url=self.url, **options)

    def client(self, **options: Any) -> httpx.Client:
        """As `conftest.Server.client`: a client to use in a `with` block."""
        return self.http(**options)

    def run(self, work: Callable[[], Awaitable[Any]]) -> Any:
        """`work()` awaited on the application's loop."""
        return self.portal.call(work)

    def gather(self, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
        """Several requests at once, as concurrent tasks on the application's loop:
        each is (method, url, keyword arguments of `httpx.AsyncClient.request`)."""

        async def all_at_once() -> list[httpx.Response]:
            import asyncio

            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url=self.url, timeout=60
            ) as http:
                return list(
                    await asyncio.gather(
                        *(http.request(method, url, **kw) for method, url, kw in requests)
                    )
                )

        return self.portal.call(all_at_once)

    def engine_runs(self) -> float:
        """How many variants this application has generated, from its /metrics."""
        import re

        with self.http() as http:
            text = http.get("/metrics").text
        found = re.search(r"^fitter_engine_runs_total (\S+)$", text, re.M)
        assert found, text[:500]
        return float(found.group(1))

    def close(self) -> None:
        self._stack.close()


def start_app(config: dict[str, Any], workdir: Path) -> App:
    """`create_app` on a configuration given as YAML would give it, on a loop of its own.

    The working directory is not changed: relative locations in `config` are the caller's.
    """
    from fitter.config import build_config
    from fitter.server.app import create_app

    workdir.mkdir(parents=True, exist_ok=True)
    # The same configuration as a file, for commands run beside the app (`fitter sign`).
    (workdir / "fitter.yaml").write_text(yaml.safe_dump(config))
    stack = contextlib.ExitStack()
    portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
    # Built on the loop that will run it: whatever the application makes at start belongs
    # to that loop.
    app = portal.call(_build, build_config, create_app, config)
    stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
    store = config["storage"]["store"].get("location", "")
    source = config["storage"].get("source", {}).get("location", store)
    return App(app, Path(source), Path(store), portal, stack)


async def _build(build_config: Any, create_app: Any, config: dict[str, Any]) -> Any:
    return create_app(build_config(yaml.safe_load(yaml.safe_dump(config)), {}))


@contextlib.contextmanager
def running(config: dict[str, Any], workdir: Path) -> Iterator[App]:
    app = start_app(config, workdir)
    try:
        yield app
    finally:
        app.close()
