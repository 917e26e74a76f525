"""The SSRF guard: IP spellings, every refused address class, allowed ranges.

Public addresses are only ever checked as values here; nothing is sent to them.
"""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from fitter.errors import Forbidden
from fitter.storage.ssrf import check, is_forbidden, networks, parse_host, resolve

ip = ipaddress.ip_address


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0x.0.0.0", "0.0.0.0"),
        ("10.0x1.0002.3", "10.1.2.3"),
        ("169.254.43518", "169.254.169.254"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        ("[fe80::1%25eth0]", "fe80::1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("[::ffff:7f00:1]", "127.0.0.1"),
        ("2606:4700::1111", "2606:4700::1111"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_parse_host_normalises_every_ip_spelling(host, address):
    assert parse_host(host) == ip(address)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "localhost",
        "127.0.0.1.example.com",
        "0x7g.0.0.1",
        "08.0.0.1",  # not octal, not decimal: a name
        "256.0.0.1",
        "1.2.3.4.5",
        "1.2.65536",
        "1_0.0.0.1",
        "+1.0.0.1",
        "",
        "[not:an:address]",
    ],
)
def test_parse_host_gives_none_for_names(host):
    assert parse_host(host) is None


FORBIDDEN = [
    # loopback, in every spelling
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "127.255.255.254",
    # private
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    # link-local, cloud metadata
    "169.254.169.254",
    "169.254.0.1",
    # carrier-grade NAT
    "100.64.0.1",
    "100.127.255.255",
    # multicast, unspecified, reserved, broadcast, documentation, benchmarking
    "224.0.0.1",
    "239.255.255.250",
    "0.0.0.0",
    "0.1.2.3",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    # IPv6 loopback, unspecified, unique-local, link-local, site-local, multicast
    "::1",
    "[::1]",
    "::",
    "fc00::1",
    "fd12::1",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    # IPv6 forms that carry a refused IPv4 address
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:7f00:1",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "0x08080808",
    "2606:4700::1111",
    "2001:4860:4860::8888",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.1",  # just above
    "172.15.255.255",  # just outside 172.16/12
    "172.32.0.1",
    "11.0.0.1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("host", FORBIDDEN)
def test_refused_address_classes(host):
    address = parse_host(host)
    assert address is not None
    assert is_forbidden(address, [])


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_pass(host):
    address = parse_host(host)
    assert address is not None
    assert not is_forbidden(address, [])


@pytest.mark.parametrize(
    ("host", "ranges", "forbidden"),
    [
        ("127.0.0.1", ["127.0.0.0/8"], False),
        ("127.1", ["127.0.0.0/8"], False),
        ("::ffff:127.0.0.1", ["127.0.0.0/8"], False),
        ("127.0.0.2", ["127.0.0.1/32"], True),
        ("10.0.0.5", ["10.0.0.0/24"], False),
        ("10.0.1.5", ["10.0.0.0/24"], True),
        ("10.0.0.1", ["127.0.0.0/8"], True),
        ("::1", ["127.0.0.0/8"], True),
        ("0.0.0.0", ["127.0.0.0/8"], True),
        ("::1", ["::1/128"], False),
        ("fd12::1", ["fd00::/8"], False),
    ],
)
def test_allowed_ranges_let_only_their_addresses_through(host, ranges, forbidden):
    assert is_forbidden(parse_host(host), networks(ranges)) is forbidden


def test_localhost_resolves_to_loopback_and_is_refused():
    addresses = asyncio.run(resolve("localhost", 80))
    assert addresses
    assert all(address.is_loopback for address in addresses)
    with pytest.raises(Forbidden) as caught:
        asyncio.run(check("http://localhost:8080/a.png", []))
    assert caught.value.status == 403
    assert caught.value.problems[0].param == "path"
    assert "127." not in str(caught.value)  # no internal detail in the public message


def test_resolve_parses_literals_without_asking_dns():
    assert asyncio.run(resolve("0x7f.1", 80)) == [ip("127.0.0.1")]
    assert asyncio.run(resolve("[::ffff:10.0.0.1]", 80)) == [ip("10.0.0.1")]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433:8080/",
        "http://0x7f.0.0.1/",
        "https://[::1]/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_check_refuses_urls_whose_host_is_forbidden(url):
    with pytest.raises(Forbidden):
        asyncio.run(check(url, []))


def test_check_gives_the_address_to_connect_to_when_allowed():
    allowed = networks(["127.0.0.0/8"])
    assert asyncio.run(check("http://localhost:8080/", allowed)) == ip("127.0.0.1")
    assert asyncio.run(check("http://0x7f.0.0.2/", allowed)) == ip("127.0.0.2")
    assert asyncio.run(check("http://[::ffff:127.0.0.1]/", allowed)) == ip("127.0.0.1")
