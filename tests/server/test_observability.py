"""Metrics, JSON logs with request ids, and readiness.

HTTP semantics are checked on applications answering in process (`conftest.make_app`), against
real backends (redis-server, SeaweedFS) where readiness needs them; one test runs `fitter serve`
itself, for what only a real process shows: the JSON lines it writes to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from fitter.config import Config
from fitter.server.app import create_app
from fitter.server.logs import JsonFormatter, bound_request_id
from support import services

HEX_ID = re.compile(r"[0-9a-f]{32}")
HEADER = "X-Request-ID"

# --- helpers ----------------------------------------------------------------------------


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(http: httpx.Client) -> Samples:
    answer = http.get("/metrics")
    assert answer.status_code == 200
    return parse(answer.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def label_values(samples: Samples) -> set[str]:
    return {value for _, labels in samples for _, value in labels}


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def ready(http: httpx.Client) -> httpx.Response:
    return http.get("/health/ready")


def wait_until_ready(http: httpx.Client, seconds: float = 15) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        answer = ready(http)
        if answer.status_code == 200 or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


ALL_OK = {"cache": "ok", "store": "ok", "source": "ok", "libvips": "ok"}


# --- metrics ----------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_and_status(make_app):
    app = make_app()
    with app.http() as http:
        assert http.get("/image", params={"path": "a.png", "width": "16"}).status_code == 200
        assert http.get("/image", params={"path": "a.png", "width": "wide"}).status_code == 400
        assert http.get("/store/ab/nothing-here-0123.png").status_code == 404
        assert http.get("/no/such/endpoint").status_code == 404
        samples = scrape(http)

    def requests(endpoint: str, status: str) -> float:
        return value(samples, "fitter_requests_total", endpoint=endpoint, status=status)

    assert requests("/image", "200") == 1
    assert requests("/image", "400") == 1
    assert requests("/store/{name:path}", "404") == 1
    assert requests("unmatched", "404") == 1
    # Raw paths never become labels: one series per route, however many paths are asked for.
    assert not any("nothing-here" in v or "/no/such" in v for v in label_values(samples))
    assert value(samples, "fitter_answers_total", layer="miss") == 1

    duration = "fitter_request_duration_seconds"
    assert value(samples, duration + "_count", endpoint="/image") == 2
    assert value(samples, duration + "_bucket", endpoint="/image", le="+Inf") == 2
    assert value(samples, duration + "_sum", endpoint="/image") > 0
    assert value(samples, duration + "_count", endpoint="/store/{name:path}") == 1

    # At rest: nothing in flight (the scrape does not count itself), nothing queued.
    assert ("fitter_requests_in_flight", ()) in samples
    assert value(samples, "fitter_requests_in_flight") == 0
    assert ("fitter_image_queue_depth", ()) in samples
    assert value(samples, "fitter_image_queue_depth") == 0
    assert value(samples, "fitter_image_pool_busy") == 0

    # Each engine run is timed.
    assert value(samples, "fitter_engine_runs_total") == 1
    assert value(samples, "fitter_engine_seconds_count") == 1
    assert value(samples, "fitter_engine_seconds_sum") > 0
    assert ("fitter_cache_failures_total", ()) in samples


def test_bytes_out_grow_by_the_size_served(make_app):
    app = make_app()
    with app.http() as http:
        before = scrape(http)
        image = http.get("/image", params={"path": "gradient.png", "width": "40"})
        described = http.get("/get", params={"path": "gradient.png", "width": "40"})
        stored = http.get("/store/" + described.json()["path"])
        after = scrape(http)
    assert image.status_code == described.status_code == stored.status_code == 200

    def grew(endpoint: str) -> float:
        name = "fitter_response_bytes_total"
        return value(after, name, endpoint=endpoint) - value(before, name, endpoint=endpoint)

    assert grew("/image") == len(image.content)
    assert grew("/get") == len(described.content)
    assert grew("/store/{name:path}") == len(stored.content) == len(image.content)
    assert value(after, "fitter_answers_total", layer="cache") == 1


# --- request ids and logs ---------------------------------------------------------------


def test_request_id_is_echoed_or_replaced(http):
    sent = "client-7f3a.42_x"
    echoed = http.get("/image", params={"path": "a.png", "width": "8"}, headers={HEADER: sent})
    # Error answers carry it too.
    refused = http.get("/image", params={"width": "8"}, headers={HEADER: sent})
    made = http.get("/health")
    replaced = [
        http.get("/health", headers={HEADER: bad}).headers["x-request-id"]
        for bad in ("has space", "semi;colon", "x" * 129, "")
    ]
    assert echoed.status_code == 200
    assert echoed.headers["x-request-id"] == sent
    assert refused.status_code == 400
    assert refused.headers["x-request-id"] == sent
    assert HEX_ID.fullmatch(made.headers["x-request-id"])
    assert all(HEX_ID.fullmatch(rid) for rid in replaced)
    assert len(set(replaced)) == len(replaced)


@dataclass
class Served:
    """A `fitter serve` process: its address, and the files its stdout and stderr go to."""

    url: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path


@pytest.fixture
def fitter_serve(images: Path, tmp_path: Path) -> Iterator[Served]:
    """`fitter serve` as a user runs it, its stderr kept apart from its stdout."""
    config = tmp_path / "fitter.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "storage": {
                    "source": {"type": "fs", "location": str(images)},
                    "store": {"type": "fs", "location": str(tmp_path / "store")},
                }
            }
        )
    )
    port = services.free_ports(1)[0]
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "fitter", "serve", "--config", str(config), "--port", str(port)],
            cwd=tmp_path,
            stdout=out,
            stderr=err,
            env={k: v for k, v in os.environ.items() if not k.startswith("FITTER_")},
            preexec_fn=services.die_with_parent,
        )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(url + "/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        services.wait_for(answers, "fitter serve", process, stderr)
        yield Served(url, process, stdout, stderr)
    finally:
        services.stop(process)


def test_fitter_serve_logs_json_lines_with_the_request_id_to_stderr(fitter_serve):
    """The one test that needs a real process: `fitter serve` configures logging (an
    application never does) and hands uvicorn the same configuration."""
    sent = uuid.uuid4().hex[:24]
    with httpx.Client(base_url=fitter_serve.url, timeout=60) as http:
        image = http.get("/image", params={"path": "a.png", "width": "8"}, headers={HEADER: sent})
        refused = http.get("/image", params={"width": "8"}, headers={HEADER: sent})
    assert image.status_code == 200
    assert image.headers["x-request-id"] == sent
    assert refused.status_code == 400
    # Stopped: whatever it had to write is written.
    fitter_serve.process.terminate()
    fitter_serve.process.wait(10)

    # Every line the process wrote on stderr is one JSON object, uvicorn's own included.
    entries = json_lines(fitter_serve.stderr.read_text())
    assert entries, fitter_serve.stdout.read_text()[-2000:]
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    assert any(e["logger"].startswith("uvicorn") for e in entries)
    # uvicorn's access log is off and libvips' chatter is kept below INFO.
    assert not any(e["logger"] in ("uvicorn.access", "pyvips") for e in entries)
    access = [e for e in entries if e["logger"] == "fitter.access" and e.get("request_id") == sent]
    assert [(e["route"], e["status"]) for e in access] == [("/image", 200), ("/image", 400)]
    served = access[0]
    assert served["method"] == "GET"
    assert served["route"] == served["path"] == "/image"
    assert served["bytes"] == len(image.content)
    assert served["layer"] == "miss"
    assert served["duration_ms"] > 0


def in_process_config(images: Path, tmp_path: Path) -> Config:
    return Config.model_validate(
        {
            "storage": {
                "source": {"type": "fs", "location": str(images)},
                "store": {"type": "fs", "location": str(tmp_path / "store")},
            }
        }
    )


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What the fitter loggers write, formatted as configure_logging formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fitter")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_access_lines_and_error_lines_carry_the_request_id(images, tmp_path, captured):
    app = create_app(in_process_config(images, tmp_path))

    async def boom() -> None:
        raise RuntimeError(f"failed reading {tmp_path}/secret")

    # An endpoint that fails unexpectedly, to see the last-resort handler keep the id.
    app.add_api_route("/boom", boom)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://fitter") as http:
            try:
                return [
                    await http.get(
                        "/image", params={"path": "a.png", "width": "10"}, headers={HEADER: "one"}
                    ),
                    await http.get(
                        "/image", params={"path": "a.png", "width": "10"}, headers={HEADER: "two"}
                    ),
                    await http.get("/info", params={"path": "nope.png"}, headers={HEADER: "a b"}),
                    await http.get("/boom", headers={HEADER: "three"}),
                    await http.get("/metrics"),
                ]
            finally:
                await app.state.services.close()

    image, cached, missing, failed, metrics = asyncio.run(scenario())
    assert (image.status_code, cached.status_code, missing.status_code) == (200, 200, 404)
    assert failed.status_code == 500
    assert failed.json() == {"errors": [{"param": None, "message": "internal error"}]}
    assert failed.headers["x-request-id"] == "three"
    replaced = missing.headers["x-request-id"]
    assert HEX_ID.fullmatch(replaced)

    entries = json_lines(captured.getvalue())
    access = {e["request_id"]: e for e in entries if e["logger"] == "fitter.access"}
    assert set(access) >= {"one", "two", replaced, "three"}
    one = access["one"]
    assert (one["method"], one["route"], one["path"]) == ("GET", "/image", "/image")
    assert one["status"] == 200
    assert one["layer"] == "miss"
    assert one["duration_ms"] > 0
    assert access["two"]["layer"] == "cache"
    assert one["bytes"] == len(image.content)
    assert (access[replaced]["route"], access[replaced]["status"]) == ("/info", 404)
    assert "layer" not in access[replaced]
    assert (access["three"]["route"], access["three"]["status"]) == ("/boom", 500)

    [error] = [e for e in entries if e["logger"] == "fitter.server"]
    assert error["level"] == "ERROR"
    assert error["request_id"] == "three"
    assert "RuntimeError" in error["exception"]
    assert "Traceback" in error["exception"]

    samples = parse(metrics.text)
    assert value(samples, "fitter_server_errors_total", kind="RuntimeError") == 1
    assert value(samples, "fitter_requests_total", endpoint="/boom", status="500") == 1
    assert value(samples, "fitter_requests_in_flight") == 0


def test_json_formatter_writes_one_object_per_line():
    formatter = JsonFormatter()
    logger = logging.getLogger("fitter.test")

    def line(message: str, **kwargs: Any) -> dict[str, Any]:
        record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, message, (), None)
        for name, item in kwargs.items():
            setattr(record, name, item)
        text = formatter.format(record)
        assert "\n" not in text
        return json.loads(text)

    plain = line("two\nlines")
    assert plain["message"] == "two\nlines"
    assert (plain["level"], plain["logger"]) == ("WARNING", "fitter.test")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", plain["time"])
    assert "request_id" not in plain and "exception" not in plain
    with bound_request_id("req-1"):
        assert line("inside")["request_id"] == "req-1"
    extra = line("extra", route="/image", status=200)
    assert (extra["route"], extra["status"]) == ("/image", 200)
    try:
        raise ValueError("bad value")
    except ValueError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    entry = json.loads(formatter.format(record))
    assert entry["exception"].startswith("Traceback")
    assert "ValueError: bad value" in entry["exception"]


# --- readiness --------------------------------------------------------------------------


def test_ready_on_fs_and_memory(make_app):
    app = make_app()
    with app.http() as http:
        answer = ready(http)
        again = ready(http)
        assert answer.status_code == 200
        assert answer.json() == {"status": "ready", "checks": ALL_OK}
        assert again.json() == answer.json()
        # The store check's object is the only thing it leaves, and /store/ never serves it.
        assert (app.store / ".fitter-health").is_file()
        assert http.get("/store/.fitter-health").status_code == 404


def test_ready_on_s3_and_redis(make_app, s3_server, redis_server):
    bucket = s3_server.fresh_bucket()
    app = make_app(
        storage={
            "source": s3_server.section(bucket, "originals"),
            "store": s3_server.section(bucket, "variants"),
        },
        cache_store=services.redis_section(redis_server, f"t{uuid.uuid4().hex[:8]}:"),
    )
    with app.http() as http:
        answer = ready(http)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready", "checks": ALL_OK}
    stored = s3_server.client().get_object(Bucket=bucket, Key="variants/.fitter-health")
    assert stored["Body"].read() == b"fitter health check\n"


def test_ready_names_the_cache_while_redis_is_down(make_app, tmp_path):
    # A redis-server of its own, to stop and start again.
    redis = services.start_redis(tmp_path / "redis")
    try:
        app = make_app(cache_store=services.redis_section(redis, "health:"))
        with app.http() as http:
            assert ready(http).json() == {"status": "ready", "checks": ALL_OK}
            redis.stop()
            started = time.monotonic()
            down = ready(http)
            took = time.monotonic() - started
            assert down.status_code == 503
            assert down.headers["retry-after"] == "5"
            body = down.json()
            assert body["status"] == "unavailable"
            assert body["checks"]["cache"].startswith("unavailable: ")
            assert {k: v for k, v in body["checks"].items() if k != "cache"} == {
                "store": "ok",
                "source": "ok",
                "libvips": "ok",
            }
            assert str(redis.port) not in body["checks"]["cache"]
            assert took < 3
            # Images are still served without the cache, and the failures are counted.
            assert http.get("/image", params={"path": "a.png", "width": "9"}).status_code == 200
            assert value(scrape(http), "fitter_cache_failures_total") > 0

            redis.start()
            back = wait_until_ready(http)
            assert back.status_code == 200, back.text
            assert back.json()["checks"] == ALL_OK
    finally:
        redis.stop()


class Relay:
    """A TCP relay on loopback to `target`: closing it is an outage of what is behind it,
    without stopping a server that other tests share."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue  # closed (the loop ends), or a connection given up on
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
                if self.closed:
                    self.drop()
                    return
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(source, sink), daemon=True).start()

    def drop(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        """From now on every connection is refused, and those open are cut."""
        with self.lock:
            self.closed = True
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            self.listener.close()
            self.drop()


def pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def test_ready_names_the_store_while_s3_is_down(make_app, images, s3_server):
    bucket = s3_server.fresh_bucket()
    s3 = s3_server.endpoint.split("//")[1]
    host, port = s3.split(":")
    relay = Relay((host, int(port)))
    try:
        app = make_app(
            storage={
                "source": {"type": "fs", "location": str(images)},
                "store": s3_server.section(
                    bucket, "variants", endpoint_url=f"http://{relay.address}"
                ),
            }
        )
        with app.http() as http:
            assert ready(http).json() == {"status": "ready", "checks": ALL_OK}
            relay.close()
            started = time.monotonic()
            down = ready(http)
            took = time.monotonic() - started
            assert down.status_code == 503
            assert down.headers["retry-after"] == "5"
            checks = down.json()["checks"]
            assert checks["store"].startswith("unavailable: ")
            assert {k: v for k, v in checks.items() if k != "store"} == {
                "cache": "ok",
                "source": "ok",
                "libvips": "ok",
            }
            # Never an address, a bucket, a key or a secret.
            for secret in (relay.address, s3, bucket, s3_server.access_key, s3_server.secret_key):
                assert secret not in down.text
            assert took < 3

            # A miss cannot be stored: 503, counted as the error's class.
            miss = http.get("/image", params={"path": "a.png", "width": "7"})
            assert miss.status_code == 503
            samples = scrape(http)
        assert value(samples, "fitter_requests_total", endpoint="/image", status="503") == 1
        assert value(samples, "fitter_server_errors_total", kind="Unavailable") == 1
        assert value(samples, "fitter_requests_total", endpoint="/health/ready", status="503") == 1
    finally:
        relay.close()


def test_ready_answers_in_time_when_a_backend_hangs(make_app, images):
    """An S3 endpoint that accepts connections and never answers: readiness still answers
    within its bound, also while the first probe's check is still hanging."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes the handshakes; nothing ever reads or answers
    try:
        hanging = {
            "type": "s3",
            "aws_access_key_id": "fitter",
            "aws_secret_access_key": "fitter-secret-key",
            "bucket_name": "hangs",
            "location": "variants",
            "bucket_region": "us-east-1",
            "endpoint_url": f"http://127.0.0.1:{silent.getsockname()[1]}",
        }
        app = make_app(
            storage={"source": {"type": "fs", "location": str(images)}, "store": hanging}
        )
        with app.http() as http:
            for _ in range(2):
                started = time.monotonic()
                answer = ready(http)
                assert time.monotonic() - started < 3.5
                assert answer.status_code == 503
                assert answer.json()["checks"] == {
                    "cache": "ok",
                    "store": "unavailable: no answer in 2 s",
                    "source": "ok",
                    "libvips": "ok",
                }
    finally:
        silent.close()
