"""The source side: versions trusted for a while, headers read once per version, and the
byte limit checked from `stat` before any of an original is read."""

from __future__ import annotations

import asyncio

import pytest

from fitter.errors import NotAnImage, OverLimits, TooLarge
from fitter.models import Original
from fitter.storage import SourceStat
from support import images as synth

GRADIENT = synth.gradient(300, 200)


class Remote:
    """An in-memory Source that reads parts as a remote object store does."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    async def stat(self, path: str) -> SourceStat:
        return SourceStat(version=str(hash(self.objects[path])), size=len(self.objects[path]))

    async def head(self, path: str, length: int) -> Original:
        return self.objects[path][:length]

    async def load(self, path: str) -> Original:
        return self.objects[path]


def test_a_version_is_trusted_for_source_ttl_then_asked_again(build) -> None:
    built = build(options={"source_ttl": 3600})

    async def twice() -> None:
        await built.service.originals.stat("a.png")
        await built.service.originals.stat("a.png")

    asyncio.run(twice())
    assert built.source.calls["stat"] == 1
    never = build(options={"source_ttl": 0})
    asyncio.run(never.service.originals.stat("a.png"))
    asyncio.run(never.service.originals.stat("a.png"))
    assert never.source.calls["stat"] == 2


def test_too_many_bytes_is_413_before_any_byte_is_read(build) -> None:
    built = build(limits={"max_source_bytes": 100})
    with pytest.raises(TooLarge) as caught:
        asyncio.run(built.service.info("gradient.png"))
    assert caught.value.problems[0].param == "path"
    assert "over the limit of 100" in caught.value.problems[0].message
    assert built.source.calls["head"] == built.source.calls["load"] == 0


def test_too_many_pixels_is_422_from_the_header(build) -> None:
    built = build(limits={"max_source_pixels": 300 * 200 - 1})
    with pytest.raises(OverLimits):
        asyncio.run(built.service.originals.checked("gradient.png"))
    # /info still answers what the header says: only rendering is refused.
    assert asyncio.run(built.service.info("gradient.png")).width == 300


def test_a_burst_reads_one_header_once_and_later_asks_read_none(build) -> None:
    built = build()

    async def burst() -> None:
        await asyncio.gather(*(built.service.info("gradient.png") for _ in range(20)))
        await built.service.info("gradient.png")

    asyncio.run(burst())
    assert built.source.calls["head"] == 1
    assert built.source.calls["stat"] == 1


def test_a_jpeg_header_comes_from_its_first_bytes_alone(build) -> None:
    photo = GRADIENT.jpegsave_buffer(Q=95) + b"\0" * 200_000  # larger than one ranged read
    built = build(source=Remote({"p.jpg": photo}))
    opened = asyncio.run(built.service.originals.opened("p.jpg"))
    assert (opened.info.format, opened.info.width, opened.info.height) == ("jpeg", 300, 200)
    assert opened.info.bytes == len(photo)
    assert opened.body is None  # only a part was read: the render reads the whole
    assert (built.source.calls["head"], built.source.calls["load"]) == (1, 0)


def test_a_gif_is_read_whole_once_and_kept_for_the_render(build) -> None:
    animation = synth.animation(120, 90, 3).gifsave_buffer() + b"\0" * 100_000
    built = build(source=Remote({"a.gif": animation}))
    opened = asyncio.run(built.service.originals.opened("a.gif"))
    # A GIF's frame count is only known at its end: the first bytes do not tell it.
    assert (opened.info.format, opened.info.frames) == ("gif", 3)
    assert opened.body == animation
    assert asyncio.run(built.service.originals.body(opened)) is opened.body
    assert (built.source.calls["head"], built.source.calls["load"]) == (1, 1)


def test_a_header_longer_than_the_first_bytes_is_read_whole(build) -> None:
    # Three 60 KB application segments (as a camera's maker notes or a Photoshop block may
    # be) before the frame header: the first bytes end inside them.
    segment = b"\xff\xed" + (60_002).to_bytes(2, "big") + b"\0" * 60_000
    plain = GRADIENT.jpegsave_buffer(Q=90)
    photo = plain[:2] + segment * 3 + plain[2:]
    built = build(source=Remote({"p.jpg": photo}))
    opened = asyncio.run(built.service.originals.opened("p.jpg"))
    assert (opened.info.width, opened.info.height) == (300, 200)
    assert opened.body == photo
    assert (built.source.calls["head"], built.source.calls["load"]) == (1, 1)


def test_a_small_original_is_read_whole_once_and_kept(build) -> None:
    small = synth.gradient(30, 20).pngsave_buffer()
    built = build(source=Remote({"s.png": small, "empty.png": b""}))
    opened = asyncio.run(built.service.originals.opened("s.png"))
    assert opened.body == small
    assert (built.source.calls["head"], built.source.calls["load"]) == (0, 1)
    # An empty original is read (as nothing) and is not an image.
    with pytest.raises(NotAnImage):
        asyncio.run(built.service.info("empty.png"))
