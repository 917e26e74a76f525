"""One contract every Source and Store backend keeps: fs on a temporary folder, S3 on the real
SeaweedFS server. A new backend joins by adding a branch to the `backend` fixture."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import services

from fitter.config import S3Storage
from fitter.errors import NotFound
from fitter.models import Original
from fitter.storage.base import Source, Store
from fitter.storage.fs import FsSource, FsStore
from fitter.storage.s3 import S3Source, S3Store


def run(coroutine):
    return asyncio.run(coroutine)


@dataclass
class Backend:
    source: Source
    store: Store
    # Writes an original where `source` reads it, as an operator or an upload would.
    put_original: Callable[[str, bytes], None]


def s3_section(server: services.S3Server, bucket: str, location: str) -> S3Storage:
    return S3Storage(
        type="s3",
        bucket_name=bucket,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        bucket_region="us-east-1",
        endpoint_url=server.endpoint,
        location=location,
        path_style=True,
    )


@pytest.fixture(scope="module")
def contract_bucket(s3_server: services.S3Server) -> str:
    name = f"contract-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def fs_backend(tmp_path: Path) -> Backend:
    images, store = tmp_path / "images", tmp_path / "store"
    images.mkdir()

    def put_original(path: str, data: bytes) -> None:
        target = images / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    return Backend(FsSource(images), FsStore(store), put_original)


def s3_backend(request: pytest.FixtureRequest) -> Backend:
    server: services.S3Server = request.getfixturevalue("s3_server")
    bucket: str = request.getfixturevalue("contract_bucket")
    prefix = f"/t-{uuid.uuid4().hex[:12]}"  # unique per test, with the seed's leading slash
    raw = server.client()

    def put_original(path: str, data: bytes) -> None:
        raw.put_object(Bucket=bucket, Key=f"{prefix[1:]}/images/{path}", Body=data)

    return Backend(
        S3Source.from_config(s3_section(server, bucket, f"{prefix}/images")),
        S3Store.from_config(s3_section(server, bucket, f"{prefix}/store"), "public, max-age=60"),
        put_original,
    )


@pytest.fixture(params=["fs", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "fs":
        return fs_backend(tmp_path)
    return s3_backend(request)


def content(original: Original) -> bytes:
    return original.read_bytes() if isinstance(original, Path) else original


def test_store_round_trip(backend: Backend):
    store = backend.store
    assert not run(store.exists("key.jpg"))
    run(store.save("key.jpg", b"\xff\xd8jpeg bytes", "image/jpeg"))
    assert run(store.exists("key.jpg"))
    assert run(store.read("key.jpg")) == b"\xff\xd8jpeg bytes"
    url = run(store.url("key.jpg"))
    assert url is None or url.startswith(("http://", "https://"))


def test_store_read_of_a_missing_name_is_not_found(backend: Backend):
    with pytest.raises(NotFound) as caught:
        run(backend.store.read("missing.png"))
    assert caught.value.status == 404
    assert not run(backend.store.exists("missing.png"))


def test_store_save_again_replaces_the_whole_object(backend: Backend):
    run(backend.store.save("twice.png", b"a much longer first version", "image/png"))
    run(backend.store.save("twice.png", b"second", "image/png"))
    assert run(backend.store.read("twice.png")) == b"second"


def test_store_names_with_folders(backend: Backend):
    store = backend.store
    run(store.save("p/ab/cd/key.jpg", b"deep", "image/jpeg"))
    run(store.save("p/ab/other.jpg", b"shallow", "image/jpeg"))
    assert run(store.read("p/ab/cd/key.jpg")) == b"deep"
    assert run(store.read("p/ab/other.jpg")) == b"shallow"
    assert not run(store.exists("p/ab/cd"))
    assert not run(store.exists("p/ab/cd/key"))
    with pytest.raises(NotFound):
        run(store.read("p/ab"))


def test_source_stat_gives_size_and_a_version_that_follows_the_content(backend: Backend):
    backend.put_original("wallpaper/lion.png", b"first original")
    first = run(backend.source.stat("wallpaper/lion.png"))
    assert first.size == len(b"first original")
    assert first == run(backend.source.stat("wallpaper/lion.png"))
    backend.put_original("wallpaper/lion.png", b"the replaced original")
    second = run(backend.source.stat("wallpaper/lion.png"))
    assert second.size == len(b"the replaced original")
    assert second.version != first.version


def test_source_missing_is_not_found_on_path(backend: Backend):
    backend.put_original("there.png", b"x")
    for call in (backend.source.stat, backend.source.load):
        with pytest.raises(NotFound) as caught:
            run(call("not/there.png"))
        assert caught.value.problems[0].param == "path"


def test_source_load_gives_the_content(backend: Backend):
    data = bytes(range(256)) * 64
    backend.put_original("a/b/original.gif", data)
    assert content(run(backend.source.load("a/b/original.gif"))) == data
