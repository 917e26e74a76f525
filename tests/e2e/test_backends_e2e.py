"""The real backends through the application: Redis cache, S3 source and store, http sources.

The application runs in this process (`make_app`, as `fitter serve` runs it) against real
redis-server and SeaweedFS processes, stopped and restarted for outages; two real `fitter
serve` processes where two processes are the point.
"""

from __future__ import annotations

import asyncio
import http.server
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from support import images as synth
from support import services


def test_the_seeds_second_example_fs_source_s3_store_redis_cache(
    make_app, images, s3_server, redis_server
):
    bucket = s3_server.fresh_bucket()
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    server = make_app(
        storage={
            "source": {"type": "fs", "location": str(images)},
            "store": s3_server.section(bucket, "/store/image/upload"),
        },
        cache_store=services.redis_section(redis_server, prefix),
    )
    query = {
        "mode": "resize",
        "path": "/wallpaper/lion.png",
        "format": "jpg",
        "width": "300",
        "height": "400",
    }
    with server.http() as http:
        first = http.get("/get", params=query)
        assert first.status_code == 200, first.text
        assert first.headers["x-fitter-cache"] == "miss"
        body = first.json()
        assert body["url"].startswith(f"{s3_server.endpoint}/{bucket}/store/image/upload/")
        served = httpx.get(body["url"])
        assert served.status_code == 200
        image = synth.load(served.content)
        assert (image.width, image.height) == (300, 400)
        head = s3_server.client().head_object(
            Bucket=bucket, Key="store/image/upload/" + body["path"]
        )
        assert head["ContentType"] == "image/jpeg"
        assert head["ContentLength"] == body["bytes"]
        key = body["filename"].split(".")[0]
        assert redis.Redis(port=redis_server.port).exists(f"{prefix}v:{key}") == 1
        assert http.get("/get", params=query).headers["x-fitter-cache"] == "cache"
        image_answer = http.get("/image", params=query)
        assert image_answer.headers["x-fitter-cache"] == "cache"
        assert image_answer.content == served.content


def test_s3_as_the_source_and_a_replaced_original_gets_a_new_variant(make_app, images, s3_server):
    bucket = s3_server.fresh_bucket()
    client = s3_server.client()
    client.put_object(
        Bucket=bucket, Key="originals/photo.png", Body=(images / "a.png").read_bytes()
    )
    section = s3_server.section(bucket, "originals")
    server = make_app(
        storage={"source": section, "store": s3_server.section(bucket, "/store/image/upload")},
        options={"source_ttl": 0},
    )
    with server.http() as http:
        first = http.get("/image", params={"path": "photo.png", "width": "32"})
        assert first.status_code == 200, first.text
        assert synth.load(first.content).height == 24
        info = http.get("/info", params={"path": "photo.png"}).json()
        assert (info["width"], info["height"], info["format"]) == (64, 48, "png")
        client.put_object(
            Bucket=bucket, Key="originals/photo.png", Body=synth.gradient(64, 16).pngsave_buffer()
        )
        second = http.get("/image", params={"path": "photo.png", "width": "32"})
        assert second.headers["x-fitter-cache"] == "miss"
        assert second.headers["etag"] != first.headers["etag"]
        assert synth.load(second.content).height == 8
        assert http.get("/image", params={"path": "nope.png", "width": "3"}).status_code == 404


def test_redis_stopped_mid_run_then_restarted(make_app, tmp_path):
    own_redis = services.start_redis(tmp_path / "redis")
    try:
        server = make_app(cache_store=services.redis_section(own_redis, "outage:"))
        queries = [{"path": "a.png", "width": str(w)} for w in range(10, 40)]
        with server.http() as http:
            for query in queries[:10]:
                assert http.get("/image", params=query).status_code == 200
            assert http.get("/health").json()["cache"] == "ok"
            own_redis.stop()
            for query in queries:
                answer = http.get("/image", params=query)
                assert answer.status_code == 200
                assert answer.headers["x-fitter-cache"] in ("store", "miss")
            assert http.get("/health").json()["status"] == "degraded"
            assert "fitter_cache_failures_total" in http.get("/metrics").text
            own_redis.start()
            deadline = time.monotonic() + 10
            layers = []
            while time.monotonic() < deadline and "cache" not in layers:
                time.sleep(0.25)
                layers.append(http.get("/image", params=queries[0]).headers["x-fitter-cache"])
            assert "cache" in layers
            assert http.get("/health").json()["status"] == "ok"
    finally:
        own_redis.stop()


def test_s3_stopped_misses_answer_503_cached_answers_still_served(make_app, images, tmp_path):
    own_s3 = services.start_s3(tmp_path / "s3")
    try:
        bucket = own_s3.fresh_bucket()
        server = make_app(
            storage={
                "source": {"type": "fs", "location": str(images)},
                "store": own_s3.section(bucket, "/store/image/upload"),
            }
        )
        cached = {"path": "a.png", "width": "20"}
        with server.http() as http:
            assert http.get("/image", params=cached).status_code == 200
            own_s3.stop()
            miss = http.get("/image", params={"path": "a.png", "width": "21"})
            assert miss.status_code == 503
            assert int(miss.headers["retry-after"]) > 0
            assert miss.json()["errors"][0]["message"]
            still = http.get("/image", params=cached)
            assert still.status_code == 200
            assert still.headers["x-fitter-cache"] == "cache"
            own_s3.start()
            listed = own_s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
            assert len(listed) == 1
            assert http.get("/image", params={"path": "a.png", "width": "21"}).status_code == 200
    finally:
        # Its data is no longer needed: killed, not shut down (which takes seconds).
        if own_s3.process is not None and own_s3.process.poll() is None:
            os.kill(own_s3.process.pid, signal.SIGKILL)
            own_s3.process.wait()


def test_two_processes_generate_a_new_variant_once(make_server, images, s3_server, redis_server):
    bucket = s3_server.fresh_bucket()
    config = {
        "storage": {
            "source": {"type": "fs", "location": str(images)},
            "store": s3_server.section(bucket, "/store/image/upload"),
        },
        "cache_store": services.redis_section(redis_server, f"two{uuid.uuid4().hex[:6]}:"),
    }
    first, second = make_server(**config), make_server(**config)
    query = {"path": "photos/Kite.jpg", "width": "517", "format": "png"}

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as http:
            return await asyncio.gather(
                *(
                    http.get((first if i % 2 else second).url + "/image", params=query)
                    for i in range(32)
                )
            )

    answers = asyncio.run(burst())
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert services.engine_runs(first.url) + services.engine_runs(second.url) == 1


class Origin:
    """A local http server standing in for a remote image host."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests = 0
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                origin.requests += 1
                if self.path.startswith("/redirect-to-metadata"):
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.end_headers()
                    return
                data = origin.files.get(self.path)
                self.send_response(200 if data else 404)
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        # Polled often for its shutdown, which otherwise waits up to half a second.
        serve = self.server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.02}, daemon=True).start()


@pytest.fixture
def origin(images: Path) -> Iterator[Origin]:
    running = Origin({"/img/a.png": (images / "a.png").read_bytes()})
    yield running
    running.server.shutdown()


def test_http_sources_through_the_server(make_app, origin):
    server = make_app(
        sources={"http": {"allow": [origin.url + "img/"], "allow_ranges": ["127.0.0.0/8"]}}
    )
    with server.http() as http:
        url = origin.url + "img/a.png"
        answer = http.get("/image", params={"path": url, "width": "32"})
        assert answer.status_code == 200, answer.text
        assert synth.load(answer.content).width == 32
        again = http.get("/image", params={"path": url, "width": "16"})
        assert again.status_code == 200
        assert origin.requests == 1
        assert http.get("/info", params={"path": url}).json()["width"] == 64
        outside = http.get("/image", params={"path": origin.url + "other/a.png", "width": "8"})
        assert outside.status_code == 403
        missing = http.get("/image", params={"path": origin.url + "img/none.png", "width": "8"})
        assert missing.status_code == 404


def test_http_sources_refuse_loopback_unless_allowed_and_redirects_are_rechecked(make_app, origin):
    guarded = make_app(sources={"http": {"allow": [origin.url]}})
    with guarded.http() as http:
        answer = http.get("/image", params={"path": origin.url + "img/a.png", "width": "8"})
        assert answer.status_code == 403
        assert answer.json()["errors"][0]["param"] == "path"
    open_to_tests = make_app(
        sources={"http": {"allow": [origin.url], "allow_ranges": ["127.0.0.0/8"]}}
    )
    with open_to_tests.http() as http:
        hop = http.get("/image", params={"path": origin.url + "redirect-to-metadata", "width": "8"})
        assert hop.status_code == 403
    disabled = make_app()
    with disabled.http() as http:
        answer = http.get("/image", params={"path": origin.url + "img/a.png", "width": "8"})
        assert answer.status_code == 403


def test_http_as_the_main_source_reads_relative_paths_below_its_first_prefix(
    make_app, origin, tmp_path
):
    server = make_app(
        storage={
            "source": {
                "type": "http",
                "allow": [origin.url + "img/"],
                "allow_ranges": ["127.0.0.0/8"],
            },
            "store": {"type": "fs", "location": str(tmp_path / "variants")},
        }
    )
    with server.http() as http:
        answer = http.get("/image", params={"path": "a.png", "width": "20"})
        assert answer.status_code == 200, answer.text
        assert synth.load(answer.content).width == 20
        absolute = http.get("/image", params={"path": origin.url + "img/a.png", "width": "20"})
        assert absolute.content == answer.content
        assert origin.requests == 1
        assert http.get("/image", params={"path": "none.png", "width": "20"}).status_code == 404
