"""Waiting on a condition with a deadline (never a sleep racing a timeout)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


def settled(listing: Callable[[], T], seconds: float = 10, key: Callable[[T], Hashable] = id) -> T:
    """`listing()` once it gives the same twice in a row, 0.2 s apart (by `key`): what a
    killed process had sent whole may still land. Fails after `seconds`."""
    deadline = time.monotonic() + seconds
    last = listing()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = listing()
        if key(now) == key(last):
            return now
        last = now
    raise AssertionError(f"still changing after {seconds} s: {last}")


async def until(check: Callable[[], bool | Awaitable[bool]], seconds: float = 10.0) -> None:
    """Returns once `check()` (or what it gives to await) is true, looking every 5 ms on
    the running loop. Fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if not isinstance(found, bool):
            found = await found
        if found:
            return
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.005)
