"""The one single-flight: one call for every caller that overlaps in time."""

from __future__ import annotations

import asyncio

import pytest

from fitter.flight import SingleFlight


def test_overlapping_callers_share_one_call_and_later_ones_start_anew() -> None:
    calls = 0

    async def scenario() -> None:
        nonlocal calls
        flight: SingleFlight[str, int] = SingleFlight()
        gate = asyncio.Event()

        async def make() -> int:
            nonlocal calls
            calls += 1
            await gate.wait()
            return calls

        waiting = [asyncio.create_task(flight.run("k", make)) for _ in range(5)]
        await asyncio.sleep(0)
        assert "k" in flight
        gate.set()
        assert await asyncio.gather(*waiting) == [1] * 5
        assert "k" not in flight
        assert await flight.run("k", make) == 2

    asyncio.run(scenario())
    assert calls == 2


def test_every_caller_gets_the_error_and_the_next_call_tries_again() -> None:
    async def scenario() -> None:
        flight: SingleFlight[str, int] = SingleFlight()
        attempts = 0

        async def fail_once() -> int:
            nonlocal attempts
            attempts += 1
            await asyncio.sleep(0)
            if attempts == 1:
                raise ValueError("broken")
            return 7

        results = await asyncio.gather(
            *(flight.run("k", fail_once) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, ValueError) for r in results)
        assert await flight.run("k", fail_once) == 7

    asyncio.run(scenario())


def test_a_caller_that_gives_up_does_not_cancel_the_work_for_the_others() -> None:
    async def scenario() -> None:
        flight: SingleFlight[str, str] = SingleFlight()
        gate = asyncio.Event()

        async def make() -> str:
            await gate.wait()
            return "done"

        impatient = asyncio.create_task(flight.run("k", make))
        patient = asyncio.create_task(flight.run("k", make))
        await asyncio.sleep(0)
        impatient.cancel()
        with pytest.raises(asyncio.CancelledError):
            await impatient
        gate.set()
        assert await patient == "done"

    asyncio.run(scenario())


def test_cancel_stops_every_running_call() -> None:
    async def scenario() -> None:
        flight: SingleFlight[str, None] = SingleFlight()
        started = asyncio.Event()

        async def forever() -> None:
            started.set()
            await asyncio.Event().wait()

        waiting = asyncio.create_task(flight.run("k", forever))
        await started.wait()
        await flight.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert "k" not in flight

    asyncio.run(scenario())
