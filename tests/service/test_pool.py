"""The image pool: a bounded number of images at once, and 503 for whoever waits too long."""

from __future__ import annotations

import asyncio
import threading

import pytest

from fitter.errors import Unavailable
from fitter.service import ImagePool


def test_no_more_than_its_threads_run_at_once() -> None:
    pool = ImagePool(threads=2, queue_seconds=30)
    running, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(30)
        with lock:
            running -= 1

    async def scenario() -> None:
        tasks = [asyncio.create_task(pool.run(work)) for _ in range(5)]
        while pool.working < 2 or pool.waiting < 3:
            await asyncio.sleep(0.005)
        release.set()
        await asyncio.gather(*tasks)
        assert (pool.working, pool.waiting) == (0, 0)

    asyncio.run(scenario())
    assert most == 2


def test_a_request_that_waits_past_queue_seconds_is_503() -> None:
    pool = ImagePool(threads=1, queue_seconds=0.05)

    async def scenario() -> None:
        async with pool.slot():
            with pytest.raises(Unavailable) as caught:
                await pool.run(lambda: None)
        assert caught.value.status == 503
        assert caught.value.headers["Retry-After"]
        assert pool.waiting == 0
        assert await pool.run(lambda: 42) == 42  # the slot was given back

    asyncio.run(scenario())
