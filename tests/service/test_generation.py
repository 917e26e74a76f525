"""Making variants: once however many ask, from the store when it has them, within the
image pool, and once across processes that share a Redis cache store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from fitter.cache.redis import RedisCache
from fitter.compose import assemble
from fitter.config import RedisCacheConfig
from fitter.errors import NotAnImage
from fitter.plan import ImageFormat, Plan
from fitter.service import Found, Pending
from fitter.storage.fs import FsSource, FsStore
from support import images as synth
from support import services
from support.built import Counted, Recorded, config_of
from support.waiting import until

PLAN = Plan(path="gradient.png", width=40, format=ImageFormat.PNG)


def test_a_burst_for_a_new_variant_renders_it_once(build) -> None:
    built = build()

    async def burst() -> list[Found]:
        target = await built.service.locate(PLAN)
        return list(await asyncio.gather(*(built.service.ensure(target) for _ in range(30))))

    found = asyncio.run(burst())
    assert len(built.events.renders) == 1
    assert {f.layer for f in found} == {"miss"}
    assert len({f.data for f in found}) == 1
    assert built.events.answers == ["miss"] * 30


def test_then_the_cache_then_the_store_answer(build) -> None:
    built = build()

    async def three() -> list[str]:
        service = built.service
        first = await service.ensure(await service.locate(PLAN))
        second = await service.ensure(await service.locate(PLAN))
        await service.cache.delete("v:" + first.variant.key)
        third = await service.ensure(await service.locate(PLAN))
        assert first.data == second.data == third.data
        return [first.layer, second.layer, third.layer]

    assert asyncio.run(three()) == ["miss", "cache", "store"]
    assert len(built.events.renders) == 1


def test_a_record_whose_object_is_gone_is_forgotten_and_made_again(build) -> None:
    built = build()

    async def scenario() -> Found:
        service = built.service
        target = await service.locate(PLAN)
        await service.ensure(target, with_data=False)
        (built.store / target.name).unlink()
        return await service.ensure(target, with_data=False)

    assert asyncio.run(scenario()).layer == "miss"
    assert len(built.events.renders) == 2


def test_a_corrupt_stored_variant_is_made_again(build) -> None:
    built = build()

    async def scenario() -> Found:
        service = built.service
        target = await service.locate(PLAN)
        await service.store.save(target.name, b"\x89PNG\r\n\x1a\n half", "image/png")
        return await service.ensure(target)

    assert asyncio.run(scenario()).layer == "miss"


def test_what_waits_for_the_pool_holds_at_most_twice_its_slots_in_originals(build) -> None:
    built = build(threads=1)

    async def scenario() -> None:
        service, pool = built.service, built.service.pool
        targets = [await service.locate(Plan(path="gradient.png", width=w)) for w in (5, 6, 7)]
        async with pool.slot():  # the only slot: every generation must wait
            making = [asyncio.create_task(service.ensure(t)) for t in targets]
            await until(lambda: pool.waiting == 2 and pool.admitting == 1)
            # Two renders admitted have read their original; the third has not.
            assert built.source.calls["load"] == 2
        await asyncio.gather(*making)
        assert built.source.calls["load"] == 3

    asyncio.run(scenario())


def test_show_queues_once_then_answers_ready(build) -> None:
    built = build()

    async def scenario() -> None:
        service = built.service
        target = await service.locate(PLAN)
        first, second = await service.show(target), await service.show(target)
        assert isinstance(first, Pending) and first.queued
        assert isinstance(second, Pending) and not second.queued
        # What waits in the queue holds no original's bytes.
        assert first.target.source.body is None
        record = "v:" + target.key

        async def recorded() -> bool:  # the background generation records it when done
            return await service.cache.get(record) is not None

        await until(recorded)
        ready = await service.show(target)
        assert isinstance(ready, Found) and ready.layer == "cache"

    asyncio.run(scenario())
    assert len(built.events.renders) == 1


def test_a_failed_background_generation_is_reported_once_then_tried_again(
    build, tmp_path: Path
) -> None:
    folder = tmp_path / "originals"
    folder.mkdir()
    # A PNG whose header reads well and whose pixels do not.
    data = synth.gradient(300, 200).pngsave_buffer()
    (folder / "broken.png").write_bytes(data[: len(data) // 2])
    built = build(source=FsSource(folder))

    async def scenario() -> None:
        service = built.service
        target = await service.locate(Plan(path="broken.png", width=40))
        assert isinstance(await service.show(target), Pending)
        await until(lambda: len(built.events.renders) == 1)
        await until(lambda: not service.executor._running)  # type: ignore[attr-defined]
        with pytest.raises(NotAnImage):
            await service.show(target)
        again = await service.show(target)
        assert isinstance(again, Pending) and again.queued

    asyncio.run(scenario())


def test_two_processes_sharing_redis_generate_a_variant_once(
    images: Path, tmp_path: Path, redis_server: services.RedisServer
) -> None:
    """Two services, as two processes would have: each its own Redis client, one store."""
    prefix = f"gen-{time.monotonic_ns()}:"
    section = services.redis_section(redis_server, prefix, lock_seconds=5)
    events = [Recorded(), Recorded()]

    def one(recorded: Recorded) -> Callable[[], Awaitable[list[Found]]]:
        redis = RedisCache(RedisCacheConfig.model_validate(section))
        config = config_of(cache_store=section)
        store = FsStore(tmp_path / "shared")
        service = assemble(config, Counted(FsSource(images)), store, redis, recorded, redis)

        async def ask() -> list[Found]:
            try:
                target = await service.locate(PLAN)
                return list(await asyncio.gather(*(service.ensure(target) for _ in range(5))))
            finally:
                await redis.close()

        return ask

    async def both() -> list[Found]:
        first, second = one(events[0]), one(events[1])
        found = await asyncio.gather(first(), second())
        return found[0] + found[1]

    found = asyncio.run(both())
    assert sum(len(e.renders) for e in events) == 1
    assert {f.layer for f in found} == {"miss"}
    assert len({f.data for f in found}) == 1
