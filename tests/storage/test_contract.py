"""The contracts every Source and every Store backend keeps, run against each: fs on a
temporary folder, S3 on the real SeaweedFS server, and (sources only) http on a real
HTTP server on loopback. A new backend joins by adding a branch to a fixture."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from fitter.cache import MemoryCache
from fitter.config import HttpSettings, S3Storage
from fitter.errors import NotFound
from fitter.models import Original
from fitter.storage import Source, Store
from fitter.storage.fs import FsSource, FsStore
from fitter.storage.http import HttpSource
from fitter.storage.s3 import S3Source, S3Store
from support import services
from support.origin import Origin, answer

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def s3_section(server: services.S3Server, bucket: str, location: str) -> S3Storage:
    return S3Storage.model_validate(server.section(bucket, location, path_style=True))


@pytest.fixture(scope="module")
def contract_bucket(s3_server: services.S3Server) -> str:
    name = f"contract-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def unique() -> str:
    """A prefix of its own per test, with the seed's leading slash."""
    return f"/t-{uuid.uuid4().hex[:12]}"


# --- sources --------------------------------------------------------------------------------


@dataclass
class Originals:
    source: Source
    # Writes an original where `source` reads it, as an operator or an upload would.
    put: Callable[[str, bytes], None]


@pytest.fixture(scope="module")
def origin() -> Iterator[Origin]:
    server = Origin()
    yield server
    server.close()


def http_originals(origin: Origin) -> Originals:
    """Originals served at /<prefix>/…, kept in a cache store that putting one empties (as
    the keeping period running out would)."""

    def kept() -> MemoryCache:
        return MemoryCache(100, 64 * 1024 * 1024, 3600)

    prefix = unique()
    settings = HttpSettings(allow=[origin.url(prefix + "/")], allow_ranges=["127.0.0.0/8"])
    http = HttpSource(settings.model_copy(update={"keep_in": "cache"}), kept())

    def put(path: str, data: bytes) -> None:
        origin.routes[f"{prefix}/{path}"] = answer(200, data)
        http.cache = kept()

    class Relative:
        """The http source reads absolute URLs: the contract names paths below the prefix."""

        async def stat(self, path: str) -> Any:
            return await http.stat(origin.url(f"{prefix}/{path}"))

        async def head(self, path: str, length: int) -> Original:
            return await http.head(origin.url(f"{prefix}/{path}"), length)

        async def load(self, path: str) -> Original:
            return await http.load(origin.url(f"{prefix}/{path}"))

    return Originals(Relative(), put)


@pytest.fixture(params=["fs", "s3", "http"])
def originals(request: pytest.FixtureRequest, tmp_path: Path) -> Originals:
    if request.param == "fs":
        folder = tmp_path / "images"
        folder.mkdir()

        def put(path: str, data: bytes) -> None:
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)

        return Originals(FsSource(folder), put)
    if request.param == "http":
        return http_originals(request.getfixturevalue("origin"))
    server: services.S3Server = request.getfixturevalue("s3_server")
    bucket: str = request.getfixturevalue("contract_bucket")
    location, raw = unique() + "/images", server.client()
    source = S3Source.from_config(s3_section(server, bucket, location))
    return Originals(
        source,
        lambda path, data: raw.put_object(Bucket=bucket, Key=f"{location[1:]}/{path}", Body=data),
    )


def content(original: Original) -> bytes:
    return original.read_bytes() if isinstance(original, Path) else original


def test_stat_gives_the_size_and_a_version_that_follows_the_content(originals: Originals):
    originals.put("wallpaper/lion.png", b"first original")
    first = run(originals.source.stat("wallpaper/lion.png"))
    assert first.size == len(b"first original")
    assert first == run(originals.source.stat("wallpaper/lion.png"))
    originals.put("wallpaper/lion.png", b"the replaced original")
    second = run(originals.source.stat("wallpaper/lion.png"))
    assert second.size == len(b"the replaced original")
    assert second.version != first.version


def test_a_missing_original_is_not_found_on_path(originals: Originals):
    originals.put("there.png", b"x")
    for call in (originals.source.stat, originals.source.load):
        with pytest.raises(NotFound) as caught:
            run(call("not/there.png"))
        assert caught.value.problems[0].param == "path"
    with pytest.raises(NotFound):
        run(originals.source.head("not/there.png", 100))


def test_load_gives_the_content(originals: Originals):
    data = bytes(range(256)) * 64
    originals.put("a/b/original.gif", data)
    assert content(run(originals.source.load("a/b/original.gif"))) == data


@pytest.mark.parametrize("length", [1, 1000, 16384, 100_000])
def test_head_gives_at_least_the_first_bytes(originals: Originals, length: int):
    """A local file (libvips reads what it needs), or bytes that start the original and
    hold at least `length` of them (or all of a shorter one)."""
    data = bytes(range(256)) * 64
    originals.put("head.png", data)
    head = run(originals.source.head("head.png", length))
    got = content(head)
    assert data.startswith(got)
    assert len(got) >= min(length, len(data))


def test_head_of_an_empty_original_is_no_bytes(originals: Originals):
    originals.put("empty.png", b"")
    assert run(originals.source.stat("empty.png")).size == 0
    assert content(run(originals.source.head("empty.png", 1000))) == b""


# --- stores ---------------------------------------------------------------------------------


@pytest.fixture(params=["fs", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "fs":
        return FsStore(tmp_path / "store")
    server: services.S3Server = request.getfixturevalue("s3_server")
    bucket: str = request.getfixturevalue("contract_bucket")
    return S3Store.from_config(
        s3_section(server, bucket, unique() + "/store"), "public, max-age=60"
    )


def test_store_round_trip(store: Store):
    assert not run(store.exists("key.jpg"))
    run(store.save("key.jpg", b"\xff\xd8jpeg bytes", "image/jpeg"))
    assert run(store.exists("key.jpg"))
    assert run(store.read("key.jpg")) == b"\xff\xd8jpeg bytes"
    url = run(store.url("key.jpg"))
    assert url is None or url.startswith(("http://", "https://"))


def test_store_read_of_a_missing_name_is_not_found(store: Store):
    with pytest.raises(NotFound) as caught:
        run(store.read("missing.png"))
    assert caught.value.status == 404
    assert not run(store.exists("missing.png"))


def test_store_save_again_replaces_the_whole_object(store: Store):
    run(store.save("twice.png", b"a much longer first version", "image/png"))
    run(store.save("twice.png", b"second", "image/png"))
    assert run(store.read("twice.png")) == b"second"


def test_store_names_with_folders(store: Store):
    run(store.save("p/ab/cd/key.jpg", b"deep", "image/jpeg"))
    run(store.save("p/ab/other.jpg", b"shallow", "image/jpeg"))
    assert run(store.read("p/ab/cd/key.jpg")) == b"deep"
    assert run(store.read("p/ab/other.jpg")) == b"shallow"
    assert not run(store.exists("p/ab/cd"))
    assert not run(store.exists("p/ab/cd/key"))
    with pytest.raises(NotFound):
        run(store.read("p/ab"))
