"""Scale-out on one machine, all on loopback, as docs/deploy.md describes it for many:
Redis (cache, locks and Celery broker), SeaweedFS (originals and variants), two `fitter
serve` processes, two `fitter worker` processes and nginx balancing between the servers.
Also: fitter mounted inside another FastAPI application (the guide's example).

Where one server is enough and nothing is done to it, it is an in-process application
(`make_app`) on the same Redis, S3 and broker; workers are always real `fitter worker`s."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from support import images as synth
from support import services
from support.servers import start_server
from support.workers import kill, start_worker

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream fitter {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://fitter;
            proxy_next_upstream error timeout http_502;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_max_temp_file_size 0;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def start_nginx(upstreams: list[str], prefix: Path) -> tuple[subprocess.Popen[bytes], str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: `make test` installs it"
    prefix.mkdir(parents=True, exist_ok=True)
    port = services.free_ports(1)[0]
    servers = "\n".join(
        f"        server {u.removeprefix('http://')} max_fails=1 fail_timeout=10s;"
        for u in upstreams
    )
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, servers=servers, port=port))
    log = prefix / "error.log"
    log.touch()
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(prefix), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        preexec_fn=services.die_with_parent,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(url + "/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    services.wait_for(answers, "nginx", process, log)
    return process, url


def stored(s3, bucket: str) -> list[str]:
    """The variants in `bucket`, listed with the boto3 client `s3`."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="variants/")
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    server = services.start_redis(tmp_path_factory.mktemp("scale-redis"))
    yield server
    server.stop()


@pytest.fixture
def cluster(tmp_path, own_redis, s3_server):
    """Originals uploaded to S3; the configuration every process reads; nginx and
    processes started by the test and stopped afterwards."""
    bucket = f"scale-{uuid.uuid4().hex[:10]}"
    s3 = s3_server.client()
    s3.create_bucket(Bucket=bucket)
    names = []
    for i in range(10):
        # Different sizes, so that each variant's expected size differs and is checked.
        image = synth.gradient(400 + 16 * i, 300 + 8 * i)
        name = f"photo{i}.jpg"
        s3.put_object(Bucket=bucket, Key=f"originals/{name}", Body=image.jpegsave_buffer(Q=90))
        names.append(name)
    config = {
        "storage": {
            "source": s3_server.section(bucket, "originals"),
            "store": s3_server.section(bucket, "variants"),
        },
        "cache_store": {
            "type": "redis",
            "host": "127.0.0.1",
            "port": own_redis.port,
            "prefix": f"{bucket}:",
            # A killed server's lock frees its variant for the other server soon.
            "lock_seconds": 2,
        },
        # A killed worker's tasks run again after 4 s, and a task it took from Redis but had
        # not recorded yet is sent again by a /show after 5 s (the defaults are minutes).
        "tasks": {
            "broker_url": f"redis://127.0.0.1:{own_redis.port}/1",
            "visibility_timeout": 4,
            "queued_seconds": 5,
        },
    }
    path = tmp_path / "fitter.yaml"
    path.write_text(yaml.safe_dump(config))
    # The module's broker starts each test empty: a worker killed by an earlier test may have
    # left a task it had taken, which Redis would hand out again in the middle of this one.
    redis.Redis.from_url(config["tasks"]["broker_url"]).flushdb()
    started: list[subprocess.Popen[bytes]] = []
    # Threads to start processes side by side. They live until the processes are stopped:
    # a process started by `services.die_with_parent` is sent SIGTERM when the *thread* that
    # started it ends (PR_SET_PDEATHSIG).
    launcher = ThreadPoolExecutor(4)
    yield {
        "config": config,
        "path": path,
        "bucket": bucket,
        "names": names,
        "started": started,
        "launcher": launcher,
        "tmp": tmp_path,
    }
    for process in reversed(started):
        kill(process)
    launcher.shutdown()


def test_two_servers_two_workers_behind_nginx(cluster, s3_server):
    tmp, config, bucket, names = (
        cluster["tmp"],
        cluster["config"],
        cluster["bucket"],
        cluster["names"],
    )
    # The four processes start side by side.
    launch = cluster["launcher"].submit
    starting = [
        launch(start_server, config, tmp / "server1"),
        launch(start_server, config, tmp / "server2"),
        launch(start_worker, cluster["path"], tmp / "workers"),
        launch(start_worker, cluster["path"], tmp / "workers"),
    ]
    wait(starting)
    cluster["started"] += [f.result().process for f in starting if f.exception() is None]
    one, two, *workers = (f.result() for f in starting)
    nginx, url = start_nginx([one.url, two.url], tmp / "nginx")
    cluster["started"].append(nginx)
    s3 = s3_server.client()

    # One client for the whole test, shared by its threads: a new one per request costs the
    # test more time (an SSL context each) than the server takes to answer.
    with httpx.Client(base_url=url, timeout=60) as http:
        # 200 requests for 50 variants (10 originals x 5 widths), 4 of each, all at once.
        variants = [(name, 40 + 8 * w) for name in names for w in range(5)]
        requests = variants * 4

        def fetch(variant: tuple[str, int]) -> tuple[tuple[str, int], int, tuple[int, int]]:
            name, width = variant
            answer = http.get("/image", params={"path": name, "width": width})
            size = (0, 0)
            if answer.status_code == 200:
                image = synth.load(answer.content)
                size = (image.width, image.height)
            return variant, answer.status_code, size

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(fetch, requests))
        for (name, width), status, (got_w, got_h) in results:
            assert status == 200, (name, width)
            i = int(name[5])
            assert got_w == width
            assert got_h == max(1, int((300 + 8 * i) * width / (400 + 16 * i) + 0.5))
        runs = [services.engine_runs(one.url), services.engine_runs(two.url)]
        assert sum(runs) == 50, runs
        assert len(stored(s3, bucket)) == 50

        # Kill one server while 100 requests (10 new variants, 40 known) are in flight.
        more = [(name, 200) for name in names] * 6 + variants[:40]
        killed = threading.Event()

        def fetch_then_kill(index_variant: tuple[int, tuple[str, int]]):
            index, variant = index_variant
            if index == 30 and not killed.is_set():
                killed.set()
                os.kill(one.process.pid, signal.SIGKILL)
            return fetch(variant)

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(fetch_then_kill, enumerate(more)))
        one.process.wait(10)
        failed = [(variant, status) for variant, status, _ in results if status != 200]
        assert not failed
        assert all(size[0] == variant[1] for variant, _, size in results)
        assert len(stored(s3, bucket)) == 60

        # /show for 20 new variants: 202 at once each, then ready (made by the workers:
        # the server's engine-run count, checked at the end, does not move).
        fresh = [(name, 100 + w) for name in names for w in (1, 2)]
        made_by_server = services.engine_runs(two.url)
        for name, width in fresh:
            answer = http.get("/show", params={"path": name, "width": width})
            assert answer.status_code == 202, answer.text
            assert answer.json()["status"] == "pending"
        # Kill a worker in the middle of the batch: its tasks run again on the other one.
        deadline = time.monotonic() + 5
        while len(stored(s3, bucket)) < 62 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(workers[0].process.pid, signal.SIGKILL)
        wait_ready(http, fresh, seconds=60)
        assert len(stored(s3, bucket)) == 80
        # Asking again enqueues nothing: every one is ready.
        for name, width in fresh:
            answer = http.get("/show", params={"path": name, "width": width})
            assert answer.json()["status"] == "ready"
        # The workers made them: /show did no engine work in the server.
        assert services.engine_runs(two.url) == made_by_server


def wait_ready(http: httpx.Client, variants: list[tuple[str, int]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    pending = list(variants)
    while pending and time.monotonic() < deadline:
        for variant in list(pending):
            name, width = variant
            answer = http.get("/show", params={"path": name, "width": width})
            assert answer.status_code in (200, 202), answer.text
            if answer.status_code == 200:
                assert answer.json()["width"] == width
                pending.remove(variant)
        time.sleep(0.2)
    assert not pending, f"not ready after {seconds} s: {pending}"


def test_a_show_already_queued_is_not_queued_twice(cluster, make_app):
    """No worker runs: the first /show queues, the next ones find the marker."""
    config = cluster["config"]
    server = make_app(**config)
    broker = redis.Redis.from_url(config["tasks"]["broker_url"])
    before = broker.llen("fitter")
    with server.http() as http:
        for _ in range(5):
            answer = http.get("/show", params={"path": "photo3.jpg", "width": 77})
            assert answer.status_code == 202
        assert broker.llen("fitter") == before + 1
        # A worker started now drains it, and the variant is ready.
        worker = start_worker(cluster["path"], cluster["tmp"] / "workers", concurrency=1)
        cluster["started"].append(worker.process)
        wait_ready(http, [("photo3.jpg", 77)], seconds=30)
    assert broker.llen("fitter") == 0


def test_a_failed_task_answers_its_error_once_then_show_tries_again(cluster, s3_server, make_app):
    """A JPEG cut in half: its header passes /show, the worker's decoding fails."""
    whole = synth.gradient(400, 300).jpegsave_buffer(Q=90)
    s3_server.client().put_object(
        Bucket=cluster["bucket"], Key="originals/cut.jpg", Body=whole[: len(whole) // 2]
    )
    server = make_app(**cluster["config"])
    worker = start_worker(cluster["path"], cluster["tmp"] / "workers", concurrency=1)
    cluster["started"].append(worker.process)
    query = {"path": "cut.jpg", "width": 50}
    with server.http() as http:
        deadline = time.monotonic() + 30
        answer = http.get("/show", params=query)
        while answer.status_code == 202 and time.monotonic() < deadline:
            time.sleep(0.1)
            answer = http.get("/show", params=query)
        assert 400 <= answer.status_code < 600, answer.text
        assert answer.json()["errors"][0]["message"]
        # Answered once: the next /show queues it again.
        assert http.get("/show", params=query).status_code == 202


@pytest.mark.anyio
async def test_fitter_mounts_under_a_prefix_of_another_fastapi_app(images):
    """The guide's example: fitter under /img in an existing application."""
    from fastapi import FastAPI

    import fitter
    from fitter.config import build_config

    store = images.parent / f"mounted-{uuid.uuid4().hex[:6]}"
    config = build_config(
        {
            "storage": {
                "source": {"type": "fs", "location": str(images)},
                # No base_url: the URLs fitter builds include the path it is mounted at.
                "store": {"type": "fs", "location": str(store)},
            }
        },
        {},
    )
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    mounted = fitter.create_app(config)
    app.mount("/img", mounted)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://site") as client:
        assert (await client.get("/hello")).json() == {"hello": "world"}
        answer = await client.get("/img/image", params={"path": "a.png", "width": 32})
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "image/png"
        assert synth.load(answer.content).width == 32
        body = (await client.get("/img/get", params={"path": "a.png", "width": 32})).json()
        assert body["url"] == f"http://site/img/store/{body['path']}"
        served = await client.get(body["url"])
        assert served.content == answer.content
    # Starlette does not run a mounted app's lifespan: its services are closed here.
    await mounted.state.services.close()
