"""`fitter worker`: the Celery worker that generates what `/show` and `fitter warm` queue.

Each worker process builds its own service from the configuration (`fitter.compose`),
lazily, on its first task: nothing touches libvips before a prefork pool has forked its
children. The service is asynchronous, so a process keeps one event loop on a thread of
its own and each task thread hands its coroutine to it: one Redis pool, one store client,
one image pool bounded by `limits.concurrency`, whatever the number of task threads.

A task is idempotent: it names the variant with `Service.locate` and `ensure`s it, which
does nothing when it exists (and generates it once across processes, through the cache
store's locks, when it does not). Storage outages (`Unavailable`) are retried with
exponential backoff; any other failure is recorded for the next `/show` and not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import redis
from celery import Celery, Task

from fitter import celery_app as queue
from fitter.compose import Services, build_services
from fitter.config import Config
from fitter.errors import FitterError, Unavailable
from fitter.plan import Plan
from fitter.service import Service

log = logging.getLogger(__name__)
T = TypeVar("T")
POOLS = ("threads", "solo", "prefork")


class Runtime:
    """One per worker process: an event loop thread and the Services built on it."""

    def __init__(self, config: Config) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        thread = threading.Thread(target=self.loop.run_forever, name="fitter-loop", daemon=True)
        thread.start()

        async def build() -> Services:
            return build_services(config)

        self.services = self.run(build())
        self.redis = queue.redis_client(config.tasks)

    @property
    def service(self) -> Service:
        return self.services.service

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def runtime_for(config: Config) -> Runtime:
    """This process's Runtime; a forked child builds its own."""
    global _runtime
    with _runtime_lock:
        if _runtime is None or _runtime.pid != os.getpid():
            _runtime = Runtime(config)
        return _runtime


async def produce(service: Service, plan: Plan, key: str) -> str:
    target = await service.locate(plan)
    if target.key != key:
        # The original changed since the task was sent: the next request names the new one.
        return "stale"
    found = await service.ensure(target, with_data=False)
    return "generated" if found.layer == "miss" else "present"


def backoff(retries: int) -> int:
    return int(min(2**retries, 60))


def run_task(task: Task, config: Config, message: dict[str, Any]) -> str:
    key = message["key"]
    runtime = runtime_for(config)
    outcome = "failed"
    try:
        outcome = runtime.run(produce(runtime.service, queue.plan_of(message), key))
    except Unavailable as error:
        if task.request.retries < config.tasks.max_retries:
            log.warning("%s: %s; retrying", key, error)
            # Raises Retry: the queued marker stays, the task comes back after the backoff.
            raise task.retry(countdown=backoff(task.request.retries)) from None
        record(runtime, config, key, error)
    except FitterError as error:
        record(runtime, config, key, error)
    except Exception:
        log.exception("generation of %s failed", key)
        record(runtime, config, key, FitterError("the image could not be generated"))
    with contextlib.suppress(redis.RedisError):  # else it expires
        runtime.redis.delete(queue.QUEUED + key)
    return outcome


def record(runtime: Runtime, config: Config, key: str, error: FitterError) -> None:
    try:
        seconds = config.tasks.failure_seconds
        runtime.redis.set(queue.FAILED + key, queue.failure_record(error), ex=seconds)
    except redis.RedisError:
        log.warning("could not record the failure of %s", key)


def make_worker_app(config: Config) -> Celery:
    app = queue.make_celery(config.tasks)

    # Celery ships no type information: its decorator is untyped.
    @app.task(  # type: ignore[untyped-decorator]
        name=queue.TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True
    )
    def generate(self: Task, message: dict[str, Any]) -> str:
        return run_task(self, config, message)

    return app


def run_worker(config: Config, concurrency: int, pool: str, loglevel: str) -> None:
    app = make_worker_app(config)
    # libvips reports every operation at INFO: a worker's log would be nothing else.
    logging.getLogger("pyvips").setLevel(logging.WARNING)
    name = f"fitter-{os.getpid()}@{socket.gethostname()}"
    app.worker_main(
        [
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            f"--loglevel={loglevel}",
            f"--queues={queue.QUEUE}",
            f"--hostname={name}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
