"""Which URLs the crawler may fetch: http(s) only, and no private or loopback addresses
unless the site allow-lists the host (by name) or its network (CIDR)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from crawler.errors import RefusedRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Sequence[str]]


def resolve(host: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return ()
    return tuple(sorted({str(info[4][0]) for info in infos}))


@lru_cache(maxsize=4096)
def _cached_resolve(host: str) -> tuple[str, ...]:
    return resolve(host)


def is_public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


def check_url(url: str, allow: Sequence[str] = (), resolver: Resolver = _cached_resolve) -> None:
    """Raise RefusedRequest(`scheme`, `no_host`, `private_address`) for a URL not to fetch."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedRequest("scheme", f"{parts.scheme or 'no'} scheme in {url}")
    host = (parts.hostname or "").lower()
    if not host:
        raise RefusedRequest("no_host", url)
    if host in allow:
        return
    addresses = _addresses(host, resolver)
    networks = [ipaddress.ip_network(entry, strict=False) for entry in allow if "/" in entry]
    for address in addresses:
        if not is_public(address) and not any(address in net for net in networks):
            raise RefusedRequest("private_address", f"{host} is {address}, not allow-listed")


def _addresses(host: str, resolver: Resolver) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    # Unresolvable hosts fail later in the downloader with a DNS error, which is counted.
    return [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host)]
