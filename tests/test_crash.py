"""A server killed with SIGKILL in the middle of a burst of writes leaves nothing broken:
no partial object in the fs or S3 store, and no cache entry pointing at a missing object."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid

import httpx
import pyvips
import redis
import services

FIRED = 60


async def burst(url: str, seconds: float) -> None:
    """Many distinct variants at once; the server is killed while they are being written."""
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(i: int) -> None:
            params = {"path": "photos/Autumn.jpg", "width": str(300 + i), "format": "png"}
            # The server dies under some of these: that is the point.
            with contextlib.suppress(httpx.HTTPError):
                await http.get(url + "/image", params=params)

        tasks = [asyncio.create_task(one(i)) for i in range(FIRED)]
        await asyncio.sleep(seconds)
        await asyncio.gather(*tasks)


def kill_during_burst(server) -> None:
    async def scenario() -> None:
        load = asyncio.create_task(burst(server.url, 0))
        # Let a few variants be written, then kill the process in the middle of the rest.
        await asyncio.sleep(1.5)
        os.kill(server.process.pid, signal.SIGKILL)
        await load

    asyncio.run(scenario())
    server.process.wait(10)


def whole_image(data: bytes) -> bool:
    try:
        pyvips.Image.new_from_buffer(data, "", fail_on="error").avg()
        return True
    except pyvips.Error:
        return False


def test_sigkill_during_writes_leaves_no_partial_file_in_the_fs_store(make_server):
    server = make_server()
    kill_during_burst(server)
    stored = [p for p in server.store.rglob("*") if p.is_file() and ".fitter-tmp" not in p.parts]
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
    kill_during_burst(server)
    time.sleep(0.5)
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert 0 < len(keys) < FIRED
    for key in keys:
        assert whole_image(client.get_object(Bucket=bucket, Key=key)["Body"].read()), key
    records = redis.Redis(port=redis_server.port).keys(f"{prefix}v:*")
    assert records
    names = set(keys)
    for record in records:
        stored = redis.Redis(port=redis_server.port).get(record)
        assert stored is not None
        assert httpx.Response(200, content=stored).json()["name"] in names
