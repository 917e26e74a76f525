"""`fitter warm`: make many variants exist before anyone asks for them.

Each request (native query items) is named with `Service.locate` and looked up by its key
in the cache store and the store, so what exists is skipped without generating: re-running
a warm costs one header read and one lookup per variant. What is missing is queued for the
workers (`tasks.broker_url`) or, with `local`, generated in this process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from fitter.compose import Services
from fitter.dialects import native
from fitter.errors import FitterError

Query = list[tuple[str, str]]


@dataclass
class Summary:
    queued: int = 0
    pending: int = 0
    present: int = 0
    generated: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def line(self) -> str:
        return (
            f"queued {self.queued}, already queued {self.pending}, "
            f"already present {self.present}, generated {self.generated}, failed {self.failed}"
        )


def queries(paths: Iterable[str], lines: Iterable[str], options: Query) -> list[tuple[str, Query]]:
    """What to warm, each with a label: a path takes the command line's options; a line of
    a file is a path too, or a whole query string (`path=a.jpg&width=300`) when it has `=`."""
    found = [(path, [("path", path), *options]) for path in paths]
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" in line:
            found.append((line, parse_qsl(line, keep_blank_values=True)))
        else:
            found.append((line, [("path", line), *options]))
    return found


async def warm(
    services: Services,
    items: list[tuple[str, Query]],
    local: bool,
    advance: Callable[[], None] = lambda: None,
) -> Summary:
    summary = Summary()
    # Enough in flight to keep the engine pool busy; the pool itself bounds the pixel work.
    slots = asyncio.Semaphore(max(4, 2 * services.service.pool.threads))

    async def one(label: str, query: Query) -> None:
        async with slots:
            try:
                await warm_one(services, query, local, summary)
            except FitterError as error:
                summary.failures.append((label, "; ".join(p.message for p in error.problems)))
            except Exception as error:
                summary.failures.append((label, f"unexpected error: {error!r}"))
            finally:
                advance()

    await asyncio.gather(*(one(label, query) for label, query in items))
    return summary


async def warm_one(services: Services, query: Query, local: bool, summary: Summary) -> None:
    service = services.service
    target = await service.locate(native.parse(query, services.rules))
    if local:
        found = await service.ensure(target, with_data=False)
        if found.layer == "miss":
            summary.generated += 1
        else:
            summary.present += 1
        return
    if await service.find(target) is not None:
        summary.present += 1
    elif (await service.queue(target)).queued:
        summary.queued += 1
    else:
        summary.pending += 1
