"""What only the S3 backend does: object metadata, key mapping, URLs, credentials, outages.

Everything runs against real SeaweedFS servers; outages use a second server of their own so the
shared one is never disturbed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fitter.config import ConfigError, S3Storage, build_config
from fitter.errors import NotFound, Unavailable
from fitter.storage.s3 import Bucket, S3Source, S3Store, object_key
from support import services

CACHE_CONTROL = "public, max-age=86400"


def run(coroutine):
    return asyncio.run(coroutine)


def section(server: services.S3Server, bucket: str, **extra) -> S3Storage:
    values = {
        "type": "s3",
        "bucket_name": bucket,
        "aws_access_key_id": server.access_key,
        "aws_secret_access_key": server.secret_key,
        "bucket_region": "us-east-1",
        "endpoint_url": server.endpoint,
        "path_style": True,
    } | extra
    return S3Storage.model_validate(values)


def new_bucket(server: services.S3Server) -> str:
    name = f"fitter-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def bucket(s3_server: services.S3Server) -> str:
    return new_bucket(s3_server)


def keys(server: services.S3Server, bucket: str) -> list[str]:
    listing = server.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def assert_discreet(error: Unavailable, *secrets: str) -> None:
    """A 503 with Retry-After whose message names neither the bucket nor the credentials."""
    assert error.status == 503
    assert error.retry_after > 0
    assert error.headers == {"Retry-After": str(error.retry_after)}
    for secret in secrets:
        assert secret not in str(error)


@pytest.mark.parametrize(
    ("location", "key"),
    [
        ("", "p/k.jpg"),
        ("/store/image/upload", "store/image/upload/p/k.jpg"),
        ("store/image/upload/", "store/image/upload/p/k.jpg"),
        ("/", "p/k.jpg"),
    ],
)
def test_object_key_strips_the_location_slashes(location: str, key: str):
    assert object_key(location, "p/k.jpg") == key


def test_saved_objects_carry_content_type_and_cache_control(s3_server, bucket):
    store = S3Store.from_config(section(s3_server, bucket, location="meta"), CACHE_CONTROL)
    run(store.save("a/key.webp", b"RIFF....WEBP", "image/webp"))
    run(store.save("a/key.avif", b"....ftypavif", "image/avif"))
    raw = s3_server.client()
    webp = raw.head_object(Bucket=bucket, Key="meta/a/key.webp")
    assert webp["ContentType"] == "image/webp"
    assert webp["CacheControl"] == CACHE_CONTROL
    assert webp["ContentLength"] == len(b"RIFF....WEBP")
    avif = raw.get_object(Bucket=bucket, Key="meta/a/key.avif")
    assert avif["ContentType"] == "image/avif"
    assert avif["Body"].read() == b"....ftypavif"


def test_the_seeds_leading_slash_location_gives_keys_without_one(s3_server):
    bucket = new_bucket(s3_server)
    config = section(s3_server, bucket, location="/store/image/upload")
    store = S3Store.from_config(config, CACHE_CONTROL)
    run(store.save("p/ab/key.png", b"variant", "image/png"))
    s3_server.client().put_object(Bucket=bucket, Key="store/image/upload/lion.png", Body=b"lion")
    assert keys(s3_server, bucket) == [
        "store/image/upload/lion.png",
        "store/image/upload/p/ab/key.png",
    ]
    source = S3Source.from_config(config)
    assert run(source.load("lion.png")) == b"lion"
    assert run(source.stat("lion.png")).size == 4


def test_source_version_is_the_etag_and_follows_a_same_size_replacement(s3_server, bucket):
    raw = s3_server.client()
    raw.put_object(Bucket=bucket, Key="etag/a.png", Body=b"aaaa")
    source = S3Source.from_config(section(s3_server, bucket, location="etag"))
    first = run(source.stat("a.png"))
    assert first.version == raw.head_object(Bucket=bucket, Key="etag/a.png")["ETag"].strip('"')
    assert '"' not in first.version
    raw.put_object(Bucket=bucket, Key="etag/a.png", Body=b"bbbb")
    second = run(source.stat("a.png"))
    assert second.size == first.size == 4
    assert second.version != first.version


def test_url_is_the_base_url_plus_the_key(s3_server, bucket):
    config = section(
        s3_server, bucket, location="/store/image/upload", base_url="https://cdn.example.com/img/"
    )
    store = S3Store.from_config(config, CACHE_CONTROL)
    assert (
        run(store.url("p/ab/key.jpg"))
        == "https://cdn.example.com/img/store/image/upload/p/ab/key.jpg"
    )


def test_presigned_url_serves_the_variant(s3_server, bucket):
    store = S3Store.from_config(
        section(s3_server, bucket, location="signed", presign_seconds=120), CACHE_CONTROL
    )
    run(store.save("p/key.png", b"\x89PNG signed", "image/png"))
    url = run(store.url("p/key.png"))
    assert url is not None
    assert url.startswith(f"{s3_server.endpoint}/{bucket}/signed/p/key.png?")
    assert "X-Amz-Expires=120" in url
    answer = httpx.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.content == b"\x89PNG signed"
    assert answer.headers["content-type"] == "image/png"
    # The signature covers the key: the same query on another key is refused.
    other = url.replace("/p/key.png?", "/p/other.png?")
    assert httpx.get(other, timeout=5).status_code == 403


def test_no_url_when_presigning_is_off_and_there_is_no_base(s3_server, bucket):
    store = S3Store.from_config(section(s3_server, bucket, presign_seconds=0), CACHE_CONTROL)
    assert run(store.url("p/key.png")) is None


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """The AWS chain reduced to the environment: no profile files, no instance metadata."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


def test_credentials_come_from_the_environment_when_the_file_has_none(
    s3_server, bucket, aws_environment
):
    config = section(s3_server, bucket, location="env").model_copy(
        update={"aws_access_key_id": None, "aws_secret_access_key": None}
    )
    aws_environment.setenv("AWS_ACCESS_KEY_ID", "wrong")
    aws_environment.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    with pytest.raises(Unavailable):
        run(S3Store.from_config(config, CACHE_CONTROL).save("k.png", b"x", "image/png"))

    aws_environment.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    aws_environment.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    store = S3Store.from_config(config, CACHE_CONTROL)
    run(store.save("k.png", b"from the environment", "image/png"))
    assert run(store.read("k.png")) == b"from the environment"


def test_no_credentials_anywhere_is_unavailable(s3_server, bucket, aws_environment):
    aws_environment.delenv("AWS_ACCESS_KEY_ID", raising=False)
    aws_environment.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    config = section(s3_server, bucket).model_copy(
        update={"aws_access_key_id": None, "aws_secret_access_key": None}
    )
    store = S3Store.from_config(config, CACHE_CONTROL)
    with pytest.raises(Unavailable) as caught:
        run(store.read("k.png"))
    assert "credentials" in str(caught.value)
    assert_discreet(caught.value, bucket)


def test_half_the_credentials_is_a_configuration_error():
    with pytest.raises(ConfigError) as caught:
        build_config(
            {"storage": {"store": {"type": "s3", "bucket_name": "b", "aws_access_key_id": "k"}}},
            {},
        )
    assert caught.value.problems == [
        "storage.store: give both aws_access_key_id and aws_secret_access_key, or neither "
        "to use the usual AWS chain"
    ]


def test_wrong_credentials_are_unavailable_and_say_nothing_secret(s3_server, bucket):
    s3_server.client().put_object(Bucket=bucket, Key="denied/a.png", Body=b"a")
    config = section(
        s3_server,
        bucket,
        location="denied",
        aws_access_key_id="intruder",
        aws_secret_access_key="not-the-secret",
    )
    store, source = S3Store.from_config(config, CACHE_CONTROL), S3Source.from_config(config)
    calls = [
        lambda: store.read("a.png"),
        lambda: store.exists("a.png"),
        lambda: store.save("b.png", b"b", "image/png"),
        lambda: source.stat("a.png"),
        lambda: source.load("a.png"),
    ]
    for call in calls:
        with pytest.raises(Unavailable) as caught:
            run(call())
        assert "refused access" in str(caught.value)
        assert_discreet(caught.value, bucket, "intruder", "not-the-secret", "denied")
    assert keys(s3_server, bucket).count("denied/b.png") == 0


def test_a_missing_bucket_is_unavailable_not_a_missing_image(s3_server):
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    config = section(s3_server, missing)
    for backend in (S3Store.from_config(config, CACHE_CONTROL), S3Source.from_config(config)):
        read = backend.read if isinstance(backend, S3Store) else backend.load
        with pytest.raises(Unavailable) as caught:
            run(read("k.png"))
        assert "bucket does not exist" in str(caught.value)
        assert_discreet(caught.value, missing)


def test_not_found_is_still_not_found_on_a_healthy_server(s3_server, bucket):
    store = S3Store.from_config(section(s3_server, bucket, location="nf"), CACHE_CONTROL)
    with pytest.raises(NotFound) as caught:
        run(store.read("none.png"))
    assert caught.value.problems[0].param == "name"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback port that accepts connections and never answers: a hung server."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_never_answers_times_out_as_unavailable(s3_server, silent_endpoint):
    config = section(s3_server, "hung-bucket", endpoint_url=silent_endpoint)
    store = S3Store(Bucket(config, read_timeout=0.5, attempts=1), CACHE_CONTROL)
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        run(store.read("k.png"))
    assert time.monotonic() - started < 3
    assert caught.value.retry_after == 5


@pytest.fixture(scope="module")
def outage_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.S3Server]:
    """A second S3 server for outages, so the shared one keeps running."""
    server = services.start_s3(tmp_path_factory.mktemp("s3-outage"))
    yield server
    # Its data is no longer needed: killed, not shut down (which takes seconds).
    if server.process is not None and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()


def test_an_outage_answers_unavailable_quickly_and_leaves_nothing_partial(outage_server):
    server = outage_server
    bucket = new_bucket(server)
    config = section(server, bucket, location="/store")
    store, source = S3Store.from_config(config, CACHE_CONTROL), S3Source.from_config(config)
    run(store.save("before.png", b"saved before", "image/png"))
    server.client().put_object(Bucket=bucket, Key="store/original.png", Body=b"original")

    server.stop()
    try:
        calls = {
            "read": lambda: store.read("before.png"),
            "exists": lambda: store.exists("before.png"),
            "save": lambda: store.save("during.png", b"x" * 100_000, "image/png"),
            "stat": lambda: source.stat("original.png"),
            "load": lambda: source.load("original.png"),
        }
        for name, call in calls.items():
            started = time.monotonic()
            with pytest.raises(Unavailable) as caught:
                run(call())
            assert time.monotonic() - started < 5, name
            assert str(caught.value) == "the S3 storage is unavailable"
            assert_discreet(caught.value, bucket, server.secret_key)
            assert caught.value.retry_after == 5
    finally:
        server.start()

    assert keys(server, bucket) == ["store/before.png", "store/original.png"]
    assert not run(store.exists("during.png"))
    with pytest.raises(NotFound):
        run(store.read("during.png"))
    # The same backend objects work again, without a restart of fitter.
    run(store.save("during.png", b"after", "image/png"))
    assert run(store.read("during.png")) == b"after"
    assert run(store.read("before.png")) == b"saved before"
    assert run(source.load("original.png")) == b"original"
