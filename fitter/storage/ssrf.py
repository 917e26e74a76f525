"""The SSRF guard: which addresses fitter may fetch originals from.

A user's URL must never make fitter reach the machine itself, the private network behind
it, or a cloud metadata service. The host is normalised first (decimal, octal, hex and
short IPv4 spellings, bracketed and IPv4-mapped IPv6), then resolved, and every address
it resolves to must be public, unless it lies in a range the operator allowed. Pure
functions apart from the DNS lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket

import httpx

from fitter.errors import Forbidden

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Not reachable on the public internet, or not a single host. The stdlib's `is_global`
# covers most of these, but its tables changed between Python releases and it calls
# multicast global, so the list is spelt out.
BLOCKED: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

MAPPED = ipaddress.ip_network("::ffff:0:0/96")
COMPATIBLE = ipaddress.ip_network("::/96")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

HEX = re.compile(r"0[xX]([0-9a-fA-F]*)", re.ASCII)
OCTAL = re.compile(r"0([0-7]+)", re.ASCII)
DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)

REFUSED = "this URL's host is not allowed"


def networks(ranges: list[str]) -> list[Network]:
    """The operator's allowed ranges (`allow_ranges`), as networks."""
    return [ipaddress.ip_network(r, strict=False) for r in ranges]


def parse_host(host: str) -> Address | None:
    """The address a URL host spells, however it is written; None for a host name.

    Accepts what browsers and `inet_aton` accept: `2130706433`, `0177.0.0.1`,
    `0x7f.0.0.1`, `127.1`, `[::1]`, a trailing dot. `::ffff:a.b.c.d` is that IPv4.
    """
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return unmapped(ipaddress.IPv6Address(host.split("%", 1)[0]))
        except ValueError:
            return None
    return parse_ipv4(host)


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any of the numeric spellings `inet_aton` accepts, else None."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        number = parse_number(part)
        if number is None:
            return None
        numbers.append(number)
    # Every part but the last is one byte; the last fills the bytes that remain.
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def parse_number(part: str) -> int | None:
    # Regular expressions rather than int(): int() also takes "1_0", " 7" and "+7".
    if match := HEX.fullmatch(part):
        return int(match[1] or "0", 16)
    if match := OCTAL.fullmatch(part):
        return int(match[1], 8)
    if DECIMAL.fullmatch(part):
        return int(part)
    return None


def unmapped(address: Address) -> Address:
    """`::ffff:a.b.c.d` as the IPv4 address it is; any other address unchanged."""
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(int(address))  # without a scope id
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
    return address


def embedded(address: Address) -> Address:
    """The IPv4 address that decides where an IPv6 address leads, when it carries one.

    IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`)
    and 6to4 (`2002::/16`) addresses reach the IPv4 address inside them.
    """
    address = unmapped(address)
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address in COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address


def is_forbidden(address: Address, allowed: list[Network] | tuple[Network, ...] = ()) -> bool:
    """Whether fitter must not connect to `address`.

    Refuses loopback, private, link-local, CGNAT, multicast, unspecified, reserved and
    documentation addresses, IPv6 unique-local and link-local, and IPv6 forms that carry
    one of those IPv4 addresses, unless `address` lies inside a network of `allowed`.
    """
    address = unmapped(address)
    target = embedded(address)
    if any(address in network or target in network for network in allowed):
        return False
    return (
        any(target in network for network in BLOCKED)
        or target.is_loopback
        or target.is_private
        or target.is_link_local
        or target.is_multicast
        or target.is_unspecified
        or target.is_reserved
        or not target.is_global
    )


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` stands for, IP spellings parsed without asking DNS.

    Raises OSError (`socket.gaierror`) when the name does not resolve.
    """
    literal = parse_host(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = unmapped(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return addresses


async def check(url: str | httpx.URL, allowed: list[Network] | tuple[Network, ...] = ()) -> Address:
    """The address to connect to for `url`; Forbidden when any it resolves to is refused.

    Every address is checked, not only the one returned, so a name that mixes a public and
    a private address is refused. Connect to the returned address itself (never resolve
    the name again), so the answer cannot change between the check and the connection.
    """
    url = httpx.URL(url)
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await resolve(host, port)
    if any(is_forbidden(address, allowed) for address in addresses):
        raise Forbidden(REFUSED, "path")
    return addresses[0]
