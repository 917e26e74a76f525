"""A server killed with SIGKILL in the middle of a burst of writes leaves nothing broken:
no partial object in the fs or S3 store, and no cache entry pointing at a missing object."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pyvips
import redis

from support import services
from support.waiting import settled

FIRED = 60
# Killed once this many variants are written: the others are being made and written then.
WRITTEN = 3


async def burst(url: str) -> None:
    """Many distinct variants at once; the server is killed while they are being written."""
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(i: int) -> None:
            params = {"path": "photos/Autumn.jpg", "width": str(300 + i), "format": "png"}
            # The server dies under some of these: that is the point.
            with contextlib.suppress(httpx.HTTPError):
                await http.get(url + "/image", params=params)

        await asyncio.gather(*(one(i) for i in range(FIRED)))


def kill_during_burst(server, written: Callable[[], int], seconds: float = 60) -> None:
    """SIGKILL the server once `written()` (variants it has finished) reaches WRITTEN, while
    the rest of the burst is in progress; at the deadline it is killed all the same, and
    the test fails."""

    async def scenario() -> int:
        load = asyncio.create_task(burst(server.url))
        deadline = time.monotonic() + seconds
        done = 0
        while time.monotonic() < deadline and not load.done():
            done = await asyncio.to_thread(written)
            if done >= WRITTEN:
                break
            await asyncio.sleep(0.02)
        if server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGKILL)
        await load
        return done

    done = asyncio.run(scenario())
    server.process.wait(10)
    assert done >= WRITTEN, f"{done} variants written in {seconds} s, or the burst was over"


def whole_image(data: bytes) -> bool:
    try:
        pyvips.Image.new_from_buffer(data, "", fail_on="error").avg()
        return True
    except pyvips.Error:
        return False


def stored_files(store: Path) -> list[Path]:
    return [p for p in store.rglob("*") if p.is_file() and ".fitter-tmp" not in p.parts]


def test_sigkill_during_writes_leaves_no_partial_file_in_the_fs_store(make_server):
    server = make_server()
    kill_during_burst(server, lambda: len(stored_files(server.store)))
    stored = stored_files(server.store)
    assert 0 < len(stored) < FIRED
    assert all(whole_image(p.read_bytes()) for p in stored)


def test_sigkill_during_writes_leaves_s3_and_redis_consistent(
    make_server, images, s3_server, redis_server
):
    bucket = s3_server.fresh_bucket()
    prefix = f"crash{uuid.uuid4().hex[:6]}:"
    server = make_server(
        storage={
            "source": {"type": "fs", "location": str(images)},
            "store": s3_server.section(bucket),
        },
        cache_store=services.redis_section(redis_server, prefix, inline_bytes=0),
    )
    client = s3_server.client()
    cache = redis.Redis(port=redis_server.port)

    def listing() -> list[str]:
        return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))

    # A variant counts once its cache entry is written, after its object.
    kill_during_burst(server, lambda: len(cache.keys(f"{prefix}v:*")))
    keys = settled(listing, key=tuple)
    assert 0 < len(keys) < FIRED
    for key in keys:
        assert whole_image(client.get_object(Bucket=bucket, Key=key)["Body"].read()), key
    records = cache.keys(f"{prefix}v:*")
    assert records
    names = set(keys)
    for record in records:
        stored = cache.get(record)
        assert stored is not None
        assert httpx.Response(200, content=stored).json()["name"] in names
