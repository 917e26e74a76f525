"""What a miss reads of an original on S3, counted on the real SeaweedFS: one whole GET
at most, and none at all for an original over `max_source_bytes`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips

from fitter.config import Config, S3Storage
from fitter.plan import Plan
from fitter.server.app import create_app
from fitter.storage.s3 import S3Source
from support import images as synth
from support import services
from support.built import Built

PHOTO = "photos/Autumn.jpg"


class Reads:
    """The S3 requests a client sends: each GET with its Range and the bytes it brought
    back, and the HEADs."""

    def __init__(self, client: Any) -> None:
        self.gets: list[tuple[str | None, int]] = []
        self.heads = 0
        client.meta.events.register("before-call.s3.GetObject", self.asking)
        client.meta.events.register("after-call.s3.GetObject", self.got)
        client.meta.events.register("before-call.s3.HeadObject", self.head)

    def asking(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["range"] = params.get("headers", {}).get("Range")

    def got(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.gets.append((context.get("range"), int(parsed.get("ContentLength", 0))))

    def head(self, **_: Any) -> None:
        self.heads += 1

    def whole(self, size: int) -> int:
        """The GETs that brought back all `size` bytes."""
        return sum(length == size for _, length in self.gets)


def noisy_gif() -> bytes:
    """An animation larger than one ranged read (noise does not compress)."""
    frames = [pyvips.Image.gaussnoise(200, 150, seed=i).cast("uchar") for i in range(3)]
    strip = pyvips.Image.arrayjoin(frames, across=1)
    strip.set_type(pyvips.GValue.gint_type, "page-height", 150)
    return strip.gifsave_buffer()


@pytest.fixture(scope="module")
def originals(s3_server: services.S3Server, photos: Path) -> dict[str, bytes]:
    return {
        PHOTO: (photos / "Autumn.jpg").read_bytes(),
        "anim.gif": noisy_gif(),
        "small.gif": synth.animation(120, 90, 3).gifsave_buffer(),
    }


@pytest.fixture(scope="module")
def bucket(s3_server: services.S3Server, originals: dict[str, bytes]) -> Iterator[str]:
    name = f"reads-{uuid.uuid4().hex[:12]}"
    client = s3_server.client()
    client.create_bucket(Bucket=name)
    for path, data in originals.items():
        client.put_object(Bucket=name, Key=f"src/{path}", Body=data)
    yield name


def section(server: services.S3Server, bucket: str, location: str) -> dict[str, Any]:
    return server.section(bucket, location, path_style=True)


def s3_source(server: services.S3Server, bucket: str) -> S3Source:
    return S3Source.from_config(S3Storage.model_validate(section(server, bucket, "src")))


@pytest.mark.parametrize(
    ("path", "gets"),
    [
        (PHOTO, [("bytes=0-65535", 65536), (None, "size")]),
        ("anim.gif", [("bytes=0-65535", 65536), (None, "size")]),
        ("small.gif", [(None, "size")]),
    ],
    ids=[
        "jpeg: the header from 64 KiB, then the whole for the render",
        "gif: 64 KiB do not tell its frames: the whole, kept for the render",
        "an original under 64 KiB: one plain read, for the header and the render",
    ],
)
def test_a_first_miss_reads_the_original_whole_once(
    build,
    s3_server: services.S3Server,
    bucket: str,
    originals: dict[str, bytes],
    path: str,
    gets: list[tuple[str | None, int | str]],
) -> None:
    size = len(originals[path])
    source = s3_source(s3_server, bucket)
    reads = Reads(source.bucket.client)
    built: Built = build(source=source)

    async def ask(width: int) -> str:
        service = built.service
        found = await service.ensure(await service.locate(Plan(path=path, width=width)))
        return found.layer

    assert asyncio.run(ask(64)) == "miss"
    assert reads.gets == [(r, size if n == "size" else n) for r, n in gets]
    assert reads.whole(size) == 1
    # Another size of the same original: its header is known, one whole read only.
    reads.gets.clear()
    assert asyncio.run(ask(65)) == "miss"
    assert reads.gets == [(None, size)]


def test_info_over_max_source_bytes_is_413_without_reading_the_body(
    images: Path, tmp_path: Path, s3_server: services.S3Server, bucket: str
) -> None:
    config = Config.model_validate(
        {
            "storage": {
                "source": section(s3_server, bucket, "src"),
                "store": {"type": "fs", "location": str(tmp_path / "store")},
            },
            "limits": {"max_source_bytes": 100_000},
            # Versions trusted for the whole test: the count of HEADs is exact.
            "options": {"source_ttl": 3600},
        }
    )
    app = create_app(config)
    reads = Reads(app.state.services.source.main.bucket.client)

    async def ask() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fitter") as http:
            try:
                return [
                    await http.get("/info", params={"path": PHOTO}),
                    await http.get("/iiif/3/photos%2FAutumn.jpg/info.json"),
                    await http.get("/image", params={"path": PHOTO, "width": "10"}),
                    await http.get("/info", params={"path": "small.gif"}),
                ]
            finally:
                await app.state.services.close()

    info, iiif, image, small = asyncio.run(ask())
    for answer in (info, iiif, image):
        assert answer.status_code == 413, answer.text
        assert "over the limit of 100000" in answer.json()["errors"][0]["message"]
    assert small.status_code == 200 and small.json()["frames"] == 3
    # Three refusals from one HEAD (the version is trusted for a second), and only the
    # small GIF was read (whole: it is under 64 KiB).
    assert [asked for asked, _ in reads.gets] == [None]
    assert reads.heads == 2
