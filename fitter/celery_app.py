"""Celery on a Redis broker: the queue between `/show` (or `fitter warm`) and the workers.

The server side is `CeleryExecutor`: the same `submit` / `take_failure` / `close` as the
in-process executor (`fitter.service.executor`), so the service does not know which runs.
Two small Redis keys per variant, both with an expiry, live beside the broker's queue:

- `fitter:task:queued:<key>` — set with NX before a task is sent: a `/show` for a variant
  already queued sends nothing. The worker deletes it when the task is over. Its expiry
  (`tasks.queued_seconds`) bounds how long a lost task stays lost: Redis hands a message to
  a waiting worker as it arrives, and a worker killed before it recorded the message as
  unacknowledged loses it (Celery's Redis transport cannot close that window); the next
  `/show` after the expiry sends it again. A task sent twice is harmless (idempotent).
- `fitter:task:failed:<key>` — the public part of a failure (status, problems, headers),
  taken (GETDEL) by the next `/show` for that variant, which answers it once.

A task message carries the Plan's fields with the format and quality already resolved
(`Plan.format` is not part of the key, only the resolved output is), so the worker's
`Service.locate` names the same variant without the client's Accept header.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from typing import Any

import anyio.to_thread
import redis
from celery import Celery
from kombu.exceptions import OperationalError
from pydantic import TypeAdapter

from fitter.config import Tasks
from fitter.errors import FitterError, Problem, Unavailable
from fitter.plan import Plan
from fitter.service import Target

log = logging.getLogger(__name__)

TASK_NAME = "fitter.generate"
QUEUE = "fitter"
QUEUED = "fitter:task:queued:"
FAILED = "fitter:task:failed:"
REDIS_SECONDS = 1.0


def make_celery(settings: Tasks) -> Celery:
    """The Celery application both sides use; only the worker registers the task."""
    assert settings.broker_url is not None
    app = Celery("fitter", broker=settings.broker_url, set_as_current=False)
    # How often a worker looks for tasks whose worker died: a fifth of the timeout.
    restore_every = max(1, min(10, round(settings.visibility_timeout / 5)))
    app.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # A task is acknowledged when it is over, so one whose worker is killed is
        # delivered again: after `visibility_timeout` (Redis), at once (prefork child lost).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Each worker thread holds one task at a time: the others stay in the queue for
        # the next free worker instead of waiting behind a busy one.
        worker_prefetch_multiplier=1,
        broker_connection_timeout=REDIS_SECONDS * 2,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": restore_every,
            "unacked_restore_throttle": 1,
        },
    )
    return app


def redis_client(settings: Tasks) -> redis.Redis:
    assert settings.broker_url is not None
    return redis.Redis.from_url(
        settings.broker_url,
        socket_timeout=REDIS_SECONDS,
        socket_connect_timeout=REDIS_SECONDS,
    )


PLANS = TypeAdapter(Plan)


def message_of(target: Target) -> dict[str, Any]:
    plan = dataclasses.replace(
        target.plan, format=target.output.format, quality=target.output.quality
    )
    return {"key": target.key, "plan": PLANS.dump_python(plan, mode="json")}


def plan_of(message: dict[str, Any]) -> Plan:
    return PLANS.validate_python(message["plan"])


class RecordedFailure(FitterError):
    """A failure a worker recorded, answered as the original error would have been."""

    def __init__(self, status: int, problems: list[Problem], headers: dict[str, str]) -> None:
        super().__init__(problems[0].message if problems else "the image could not be generated")
        self.status = status
        self.problems = problems or self.problems
        self._headers = headers

    @property
    def headers(self) -> dict[str, str]:
        return self._headers


def failure_record(error: FitterError) -> bytes:
    return json.dumps(
        {
            "status": error.status,
            "problems": [p.as_dict() for p in error.problems],
            "headers": error.headers,
        }
    ).encode()


def failure_from(record: bytes | str) -> RecordedFailure:
    data = json.loads(record)
    problems = [Problem(p["param"], p["message"]) for p in data["problems"]]
    return RecordedFailure(data["status"], problems, data.get("headers") or {})


class CeleryExecutor:
    """`/show`'s executor when `tasks.broker_url` is set.

    redis-py and Celery's publisher are blocking clients, so each call runs in a worker
    thread: a slow or unreachable broker never stalls the event loop (each Redis call has
    a one-second timeout).
    """

    def __init__(self, settings: Tasks, celery: Celery | None = None) -> None:
        self.settings = settings
        self.celery = celery or make_celery(settings)
        self.redis = redis_client(settings)

    async def submit(self, target: Target) -> bool:
        """Send a task for `target` unless one is queued already; True when one was sent."""
        return await anyio.to_thread.run_sync(self._submit, target)

    async def take_failure(self, key: str) -> FitterError | None:
        return await anyio.to_thread.run_sync(self._take_failure, key)

    def _submit(self, target: Target) -> bool:
        marker = QUEUED + target.key
        try:
            if not self.redis.set(marker, b"1", nx=True, ex=self.settings.queued_seconds):
                return False
        except redis.RedisError:
            raise Unavailable("the task queue cannot be reached; try again soon") from None
        try:
            self.celery.send_task(TASK_NAME, args=[message_of(target)], retry=False)
        except (OperationalError, redis.RedisError, OSError):
            log.exception("could not queue %s", target.name)
            self._forget(marker)
            raise Unavailable("the task queue cannot be reached; try again soon") from None
        return True

    def _take_failure(self, key: str) -> FitterError | None:
        try:
            record = self.redis.getdel(FAILED + key)
        except redis.RedisError:
            return None
        return None if record is None else failure_from(record)

    def _forget(self, marker: str) -> None:
        with contextlib.suppress(redis.RedisError):  # else it expires
            self.redis.delete(marker)

    async def close(self) -> None:
        self.redis.close()
        self.celery.close()
