"""The http(s) source against real HTTP servers the tests start on loopback.

Every request here goes to 127.0.0.0/8; addresses elsewhere are only checked, never
contacted. Where a test must pass the SSRF guard, `allow_ranges` lets loopback through.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fitter.cache.memory import MemoryCache
from fitter.config import HttpSettings
from fitter.errors import BadGateway, FitterError, Forbidden, GatewayTimeout, NotFound, TooLarge
from fitter.storage import ssrf
from fitter.storage.fs import FsStore
from fitter.storage.http import HttpSource
from support.origin import HUGE, IMAGE, Origin, answer, redirect


@pytest.fixture
def origin() -> Iterator[Origin]:
    server = Origin()
    yield server
    server.close()


@pytest.fixture
def trap() -> Iterator[Origin]:
    """A server that no request may reach."""
    server = Origin()
    server.routes["/x"] = answer(200, IMAGE)
    yield server
    server.close()


def settings(allow: list[str], ranges: tuple[str, ...] = ("127.0.0.0/8",), **more) -> HttpSettings:
    return HttpSettings(allow=allow, allow_ranges=list(ranges), **more)


def make_source(
    tmp_path: Path,
    config: HttpSettings,
    cache: MemoryCache | None = None,
    max_bytes: int = 1024 * 1024,
) -> HttpSource:
    if cache is None:  # an empty MemoryCache is falsy
        cache = MemoryCache(max_entries=100, max_bytes=64 * 1024 * 1024, ttl=3600)
    return HttpSource(config, cache, FsStore(tmp_path / "store"), max_bytes=max_bytes)


def run(source: HttpSource, method: str, url: str):
    async def go():
        try:
            return await getattr(source, method)(url)
        finally:
            await source.close()

    return asyncio.run(go())


def fails(source: HttpSource, url: str, method: str = "load") -> FitterError:
    with pytest.raises(FitterError) as caught:
        run(source, method, url)
    assert caught.value.problems[0].param == "path"
    return caught.value


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def test_fetch_gives_the_bytes_and_a_content_version(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]))
    stat = run(source, "stat", origin.url("/images/a.png"))
    assert stat.size == len(IMAGE)
    assert stat.version == sha(IMAGE)
    assert run(source, "load", origin.url("/images/a.png")) == IMAGE


def test_the_etag_is_the_version(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]))
    assert run(source, "stat", origin.url("/images/tagged.png")).version == '"v1"'


def test_the_request_goes_to_the_checked_address_with_the_urls_host(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url(host="0x7f.1")]))
    assert run(source, "load", origin.url("/images/a.png", host="0x7f.1")) == IMAGE
    assert origin.headers[0]["Host"] == f"0x7f.1:{origin.port}"


def test_the_connection_goes_to_the_address_that_was_checked(tmp_path, monkeypatch):
    # As if DNS answered 127.0.0.2 to the check and would answer 127.0.0.1 to a second
    # lookup: the request must go where the check said, never through a new lookup.
    origin = Origin("127.0.0.2")
    checked = []

    async def check(url, allowed):
        checked.append(url)
        return ipaddress.ip_address("127.0.0.2")

    monkeypatch.setattr(ssrf, "check", check)
    try:
        url = origin.url("/images/a.png", host="localhost")
        source = make_source(tmp_path, settings([origin.url(host="localhost")]))
        assert run(source, "load", url) == IMAGE
    finally:
        origin.close()
    assert checked == [url]
    assert origin.headers[0]["Host"] == f"localhost:{origin.port}"


@pytest.mark.parametrize("keep_in", ["store", "cache"])
def test_a_kept_original_is_downloaded_once(tmp_path, origin, keep_in):
    cache = MemoryCache(max_entries=100, max_bytes=64 * 1024 * 1024, ttl=3600)
    config = settings([origin.url()], keep_in=keep_in)
    url = origin.url("/images/a.png")
    source = make_source(tmp_path, config, cache)
    first = run(source, "stat", url)
    assert run(source, "load", url) == IMAGE
    assert run(source, "stat", url) == first
    # Another source sharing the cache store and the store (another process) too.
    again = make_source(tmp_path, config, cache)
    assert run(again, "load", url) == IMAGE
    assert run(again, "stat", url) == first
    assert origin.hits["/images/a.png"] == 1
    kept = tmp_path / "store" / "originals" / sha(url)
    assert kept.is_file() is (keep_in == "store")


def test_a_record_without_its_bytes_fetches_again(tmp_path, origin):
    url = origin.url("/images/a.png")
    source = make_source(tmp_path, settings([origin.url()]))
    run(source, "stat", url)
    (tmp_path / "store" / "originals" / sha(url)).unlink()
    assert run(source, "load", url) == IMAGE
    assert origin.hits["/images/a.png"] == 2


def test_callers_at_the_same_time_share_one_download(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]))
    url = origin.url("/images/steady.png")

    async def many():
        try:
            # The origin holds its answer until every caller has asked.
            stats = asyncio.gather(*(source.stat(url) for _ in range(4)))
            loads = asyncio.gather(*(source.load(url) for _ in range(4)))
            await asyncio.sleep(0)
            origin.release.set()
            return await stats, await loads
        finally:
            await source.close()

    stats, loads = asyncio.run(many())
    assert {s.version for s in stats} == {sha(IMAGE)}
    assert loads == [IMAGE] * 4
    assert origin.hits["/images/steady.png"] == 1


def test_redirects_within_the_allow_list_are_followed(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]))
    assert run(source, "load", origin.url("/images/hop")) == IMAGE
    assert origin.hits["/images/hop"] == 1
    assert origin.hits["/images/a.png"] == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/other/a.png",  # another path
        "http://127.0.0.1:{other}/images/a.png",  # another port
        "http://127.0.0.2:{port}/images/a.png",  # another host
        "https://127.0.0.1:{port}/images/a.png",  # another scheme
        "http://127.0.0.1:{port}/images/../secret.png",
        "http://127.0.0.1:{port}/images/%2e%2e/secret.png",
        "http://127.0.0.1:{port}/images/..%5csecret.png",
        "http://127.0.0.1:{port}/imagesX/a.png",
        "http://user@127.0.0.1:{port}/images/a.png",  # userinfo, even under the prefix
        "http://user:pw@127.0.0.1:{port}/images/a.png",
        "http://127.0.0.1:{port}@127.0.0.2:{port}/images/a.png",
        "ftp://127.0.0.1:{port}/images/a.png",
        "file:///etc/passwd",
        "images/a.png",
        "http://[not-an-address]/images/a.png",
    ],
)
def test_urls_outside_the_allow_list_are_forbidden(tmp_path, origin, url):
    source = make_source(tmp_path, settings([origin.url()]))
    error = fails(source, url.format(port=origin.port, other=origin.port + 1))
    assert isinstance(error, Forbidden)
    assert error.status == 403
    assert origin.total() == 0


@pytest.mark.parametrize(
    "url", ["HTTP://127.0.0.1:{port}/images/a.png", "http://127.0.0.1:{port}/images/./a.png#top"]
)
def test_equivalent_spellings_of_an_allowed_url_pass(tmp_path, origin, url):
    source = make_source(tmp_path, settings([origin.url()]))
    assert run(source, "load", url.format(port=origin.port)) == IMAGE


def test_loopback_without_allow_ranges_is_forbidden(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()], ranges=()))
    error = fails(source, origin.url("/images/a.png"), "stat")
    assert error.status == 403
    assert "127.0.0.1" not in str(error)  # no internal detail in the public message
    assert origin.total() == 0


# The origin is allowed (127.0.0.2/32); each redirect leads to loopback elsewhere, which
# the allow-list admits but the guard must not: the trap server on 127.0.0.1 stays unhit.
FORBIDDEN_HOPS = [
    "http://0.0.0.0:{trap}/x",
    "http://[::1]:{trap}/x",
    "http://127.0.0.1:{trap}/x",
    "http://127.1:{trap}/x",
    "http://0x7f.0.0.1:{trap}/x",
    "http://2130706433:{trap}/x",
    "http://[::ffff:127.0.0.1]:{trap}/x",
    "http://localhost:{trap}/x",
]


@pytest.mark.parametrize("hop", FORBIDDEN_HOPS)
def test_a_redirect_to_a_forbidden_address_is_refused(tmp_path, trap, hop):
    origin = Origin("127.0.0.2")
    try:
        location = hop.format(trap=trap.port)
        origin.routes["/images/away"] = redirect(location)
        config = settings([origin.url(), location.removesuffix("x")], ranges=("127.0.0.2/32",))
        error = fails(make_source(tmp_path, config), origin.url("/images/away"))
    finally:
        origin.close()
    assert error.status == 403
    assert origin.hits["/images/away"] == 1
    assert trap.total() == 0


def test_the_same_redirect_reaches_the_trap_when_its_range_is_allowed(tmp_path, trap):
    # The control for the test above: the trap is reachable when the guard allows it.
    origin = Origin("127.0.0.2")
    try:
        location = f"http://0x7f.0.0.1:{trap.port}/x"
        origin.routes["/images/away"] = redirect(location)
        config = settings([origin.url(), location.removesuffix("x")])
        assert run(make_source(tmp_path, config), "load", origin.url("/images/away")) == IMAGE
    finally:
        origin.close()
    assert trap.hits["/x"] == 1


def test_a_redirect_outside_the_allow_list_is_refused(tmp_path, origin, trap):
    origin.routes["/images/away"] = redirect(trap.url("/x"))
    error = fails(make_source(tmp_path, settings([origin.url()])), origin.url("/images/away"))
    assert error.status == 403
    assert trap.total() == 0


@pytest.mark.parametrize(
    "location", ["ftp://127.0.0.1/x", "http://user@127.0.0.1:{port}/images/a.png"]
)
def test_a_redirect_to_another_scheme_or_to_userinfo_is_refused(tmp_path, origin, location):
    origin.routes["/images/away"] = redirect(location.format(port=origin.port))
    error = fails(make_source(tmp_path, settings([origin.url()])), origin.url("/images/away"))
    assert error.status == 403
    assert origin.hits["/images/a.png"] == 0


@pytest.mark.parametrize("max_redirects", [0, 2])
def test_too_many_redirects_is_a_bad_gateway(tmp_path, origin, max_redirects):
    source = make_source(tmp_path, settings([origin.url()], max_redirects=max_redirects))
    error = fails(source, origin.url("/images/loop"))
    assert isinstance(error, BadGateway)
    assert error.status == 502
    assert origin.hits["/images/loop"] == max_redirects + 1


def test_a_redirect_without_location_is_a_bad_gateway(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]))
    assert fails(source, origin.url("/images/nowhere")).status == 502


@pytest.mark.parametrize(
    ("path", "kind", "status"),
    [
        ("/images/missing.png", NotFound, 404),
        ("/images/gone.png", NotFound, 404),
        ("/images/broken.png", BadGateway, 502),
        ("/images/forbidden.png", BadGateway, 502),
    ],
)
def test_remote_errors(tmp_path, origin, path, kind, status):
    source = make_source(tmp_path, settings([origin.url()]))
    error = fails(source, origin.url(path), "stat")
    assert isinstance(error, kind)
    assert error.status == status


def test_a_failed_fetch_is_not_kept(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]))
    fails(source, origin.url("/images/broken.png"))
    fails(source, origin.url("/images/broken.png"))
    assert origin.hits["/images/broken.png"] == 2


def test_a_slow_origin_times_out(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()], read_timeout=0.2))
    started = time.monotonic()
    error = fails(source, origin.url("/images/slow.png"))
    assert isinstance(error, GatewayTimeout)
    assert error.status == 504
    assert time.monotonic() - started < 1.2


def test_a_closed_port_is_a_bad_gateway(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/images/"
    error = fails(make_source(tmp_path, settings([url])), url + "a.png")
    assert isinstance(error, BadGateway)
    assert error.status == 502


def test_a_huge_original_stops_the_download_early(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]), max_bytes=256 * 1024)
    error = fails(source, origin.url("/images/huge.png"))
    assert isinstance(error, TooLarge)
    assert error.status == 413
    assert origin.huge_done.wait(10)
    assert origin.sent < HUGE // 4  # the server could not write the rest
    assert not (tmp_path / "store" / "originals").exists()


def test_a_declared_length_over_the_limit_is_refused_before_reading(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]), max_bytes=256 * 1024)
    error = fails(source, origin.url("/images/declared.png"), "stat")
    assert isinstance(error, TooLarge)
    assert error.status == 413


def test_an_original_at_the_limit_passes(tmp_path, origin):
    source = make_source(tmp_path, settings([origin.url()]), max_bytes=len(IMAGE))
    assert run(source, "load", origin.url("/images/a.png")) == IMAGE
    smaller = make_source(tmp_path / "b", settings([origin.url()]), max_bytes=len(IMAGE) - 1)
    assert fails(smaller, origin.url("/images/a.png")).status == 413
