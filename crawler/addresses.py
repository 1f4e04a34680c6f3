"""Which URLs the crawler may fetch: http(s) only, and no private or loopback addresses unless
the site allow-lists them. An allow-list entry is a host name, an address or a network (CIDR),
each with an optional port: `fixture.local`, `127.0.0.1:8123`, `10.0.0.0/8`, `[::1]:80`,
`[fd00::/48]:8080`. A name or an address matches the URL's host as written; a network matches
every address the host resolves to. Without a port an entry allows every port. Networks wider
than MIN_PREFIX (and so `0.0.0.0/0`, `::/0`) are refused unless the site sets `allow_any_private = true`."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from archive.urls import numeric_host
from crawler.errors import RefusedRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Sequence[str]]

# The widest networks an allow-list may name without `allow_any_private`: a /8 of IPv4 (all of
# 10.0.0.0/8 is one organisation's private range) and a /32 of IPv6 (a whole site allocation).
MIN_PREFIX = {4: 8, 6: 32}
DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62}\.?)*[a-z0-9]?$")


class AllowListError(ValueError):
    """An allow-list entry that is not a host, address or network with an optional port, or
    one wider than MIN_PREFIX without `allow_any_private`."""


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """One allow-list entry: a host name or a network, and the port it is limited to (None: any)."""

    host: str | None
    network: Network | None
    port: int | None

    def allows(self, host: str, address: Address | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return self.host == host
        return address is not None and self.network is not None and address in self.network


def parse_entry(text: str, allow_any: bool = False) -> AllowEntry:
    """An entry as written in a sites file; AllowListError when malformed or too broad."""
    target, port = _split_port(text.strip().lower())
    try:
        host = _canonical(target)
    except ValueError:
        raise AllowListError(f"{text!r} ends in a number but is no IPv4 address") from None
    if _is_address(host):  # matched as the URL's host, like a name (not what names resolve to)
        return AllowEntry(host, None, port)
    if "/" in target:
        network = _network(target)
        if network.prefixlen < MIN_PREFIX[network.version] and not allow_any:
            minimum = MIN_PREFIX[network.version]
            raise AllowListError(
                f"{text!r} is wider than /{minimum}: name the hosts or a narrower network, "
                "or set allow_any_private = true"
            )
        return AllowEntry(None, network, port)
    if not _HOST_NAME.match(target):
        raise AllowListError(f"{text!r} is not a host name, address or network")
    return AllowEntry(target, None, port)


def _split_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):  # [v6 address or network] with an optional :port
        inside, _, rest = text[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise AllowListError(f"{text!r}: expected [address]:port")
        return inside, _port(text, rest[1:]) if rest else None
    if text.count(":") == 1:  # host:port, v4:port, v4/prefix:port (a bare v6 has several)
        target, _, raw = text.partition(":")
        return target, _port(text, raw)
    return text, None


def _port(text: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise AllowListError(f"{text!r}: the port must be a number in 1-65535")
    return int(raw)


def _canonical(host: str) -> str:
    """An address in one spelling (`::0001` is `::1`, `2130706433` is `127.0.0.1`, as a browser
    reads them); a name as it is; ValueError for a host ending in a number that is no address."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return numeric_host(host) or host


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _network(text: str) -> Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise AllowListError(f"{text!r} is not a network ({exc})") from None


@lru_cache(maxsize=256)
def parse_allow_list(entries: tuple[str, ...], allow_any: bool = False) -> tuple[AllowEntry, ...]:
    return tuple(parse_entry(entry, allow_any) for entry in entries)


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


def check_url(
    url: str, allow: Sequence[str] = (), resolver: Resolver = _cached_resolve, allow_any: bool = False
) -> None:
    """Raise RefusedRequest(`scheme`, `no_host`, `private_address`) for a URL not to fetch: every
    private address it resolves to must be allowed, at the URL's port, by an allow-list entry."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedRequest("scheme", f"{parts.scheme or 'no'} scheme in {url}")
    try:
        host = _canonical((parts.hostname or "").lower())
    except ValueError as exc:
        raise RefusedRequest("no_host", f"{exc} in {url}") from None
    if not host:
        raise RefusedRequest("no_host", url)
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise RefusedRequest("no_host", f"bad port in {url}") from None
    entries = parse_allow_list(tuple(allow), allow_any)
    if any(entry.allows(host, None, port) for entry in entries if entry.host):
        return
    for address in _addresses(host, resolver):
        if not is_public(address) and not any(entry.allows(host, address, port) for entry in entries):
            raise RefusedRequest("private_address", f"{host}:{port} is {address}, not allow-listed")


def _addresses(host: str, resolver: Resolver) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    # Unresolvable hosts fail later in the downloader with a DNS error, which is counted.
    return [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host)]
