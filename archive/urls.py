"""A document URL's one canonical form, and its Unicode form for people.

Canonical: an ASCII URI as WARC needs it (RFC 3987 3.1: an IRI's non-ASCII characters
percent-encoded as UTF-8, its host in IDNA), scheme and host lower-case, escapes upper-case,
spaces encoded, no fragment, `/` for an empty path — the form Scrapy requests and our link
rules produce, so an imported page and the same page crawled get one URL. It is what is
archived, stored, keyed and exported; `display_url` turns it back into Unicode (RFC 3987 3.2)
where a person reads it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import unquote_to_bytes, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from archive.errors import BadUrl

SCHEMES = ("http", "https")
MAX_URL = 8192  # longer is no page address (servers refuse request lines far shorter)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # CR/LF would end a WARC header line
_ENCODED_NON_ASCII = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


# An import asks for the same address several times (the record, its archive, its ingest).
@functools.lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL or IRI; BadUrl (with why) for anything else."""
    text = url.strip(" ")
    if _CONTROL.search(text):
        raise BadUrl(url, "contains a control character (CR, LF, tab, NUL…)")
    if len(text) > MAX_URL:
        raise BadUrl(url, f"longer than {MAX_URL} characters")
    try:
        written = urlsplit(text)
        parts = urlsplit(safe_url_string(text))
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
        netloc = _numeric_host_as_address(parts.netloc, parts.hostname or "")
    except ValueError as exc:  # (UnicodeError too: a lone surrogate)
        raise BadUrl(url, str(exc)) from exc
    # An empty authority (`http:///x`) is invalid for http (RFC 9110 4.2.1), though a WHATWG
    # parser, and so w3lib from 2.6 on, takes the path's first segment for the host.
    if parts.scheme not in SCHEMES or not parts.hostname or not written.netloc:
        raise BadUrl(url, "not an http(s) URL with a host")
    path, query = _upper_escapes(parts.path) or "/", _upper_escapes(parts.query)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def numeric_host(host: str) -> str | None:
    """The IPv4 address a host that ends in a number spells (WHATWG URL: `2130706433`,
    `0x7f.1` and `0177.0.0.1.` are all 127.0.0.1), None for a name; ValueError when it
    ends in a number but is no address (`999.0.0.1`, `a.1`)."""
    labels = host.split(".")
    if len(labels) > 1 and not labels[-1]:
        labels.pop()
    if not (labels[-1].isascii() and labels[-1].isdigit()) and _ipv4_number(labels[-1]) is None:
        return None  # a name
    numbers = [n for n in map(_ipv4_number, labels) if n is not None]
    *high, last = numbers or [-1]
    whole = len(numbers) == len(labels) <= 4
    if not (whole and all(n <= 255 for n in high) and last < 256 ** (5 - len(numbers))):
        raise ValueError(f"{host!r} is not a valid IPv4 address")
    value = last + sum(n * 256 ** (3 - i) for i, n in enumerate(high))
    return str(ipaddress.IPv4Address(value))


def _ipv4_number(label: str) -> int | None:
    """A WHATWG IPv4 part: decimal, `0x` hex or `0`-led octal; None for anything else."""
    base, digits = 10, label
    if label[:2] in ("0x", "0X"):
        base, digits = 16, label[2:] or "0"
    elif len(label) > 1 and label.startswith("0"):
        base, digits = 8, label[1:]
    try:
        return int(digits, base) if digits.isascii() and digits.isalnum() else None
    except ValueError:
        return None


def _numeric_host_as_address(netloc: str, host: str) -> str:
    address = numeric_host(host)
    if address is None or address == host:
        return netloc
    user, at, hostport = netloc.rpartition("@")
    port = hostport[len(host) :]  # (hostname is hostport's host, lower-cased)
    return f"{user}{at}{address}{port}"


def _upper_escapes(part: str) -> str:
    """`%e8` and `%E8` are one octet (RFC 3986 6.2.2.1): upper case, as encoders write it."""
    return _ESCAPE.sub(lambda found: found.group(0).upper(), part) if "%" in part else part


@functools.lru_cache(maxsize=8192)  # a document's URL is keyed several times while it is ingested
def matching_url(url: str) -> str:
    """The form two spellings of one address share (canonical when it is a URL at all)."""
    try:
        return canonical_url(url)
    except BadUrl:
        return url


def display_url(url: str) -> str:
    """The URL as a person reads it: IDNA host and UTF-8 escapes back in Unicode. Escapes of
    ASCII, of invalid UTF-8 and of characters that are not printable (bidi controls, spaces)
    stay encoded, so what is shown still names the same address."""
    try:
        parts = urlsplit(url)
        netloc = _unicode_host(parts.netloc)
    except (ValueError, UnicodeError):
        return url
    path, query, fragment = (_decoded(p) for p in (parts.path, parts.query, parts.fragment))
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def _unicode_host(netloc: str) -> str:
    if "xn--" not in netloc.lower():
        return netloc
    user, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")  # (an IDNA host is no IPv6 literal)
    shown = ".".join(label.encode("ascii").decode("idna") for label in host.split("."))
    return f"{user}{at}{shown}{colon}{port}"


def _decoded(part: str) -> str:
    return _ENCODED_NON_ASCII.sub(_printable_utf8, part)


def _printable_utf8(found: re.Match[str]) -> str:
    try:
        text = unquote_to_bytes(found.group(0)).decode("utf-8")
    except UnicodeDecodeError:
        return found.group(0)
    return text if text.isprintable() else found.group(0)
