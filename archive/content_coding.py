"""HTTP content codings undone (gzip, deflate, br), up to a size: one decoder for the pages the
crawler archives as the server sent them and for the responses of an imported WARC file.

A body is read a block at a time and decoded no further than `limit` bytes, so a bomb costs at
most that much memory; the caller compares the length with its own cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Protocol

import brotli

from archive.errors import BadContentCoding

BLOCK = 1 << 16
_GZIP = ("gzip", "x-gzip")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def content_coding(headers: Sequence[tuple[str, str]]) -> str:
    """The Content-Encoding a response states, lower-cased ('' for none)."""
    return next((v.strip().lower() for k, v in headers if k.lower() == "content-encoding"), "")


def decoded(stream: Readable, coding: str, limit: int | None = None) -> bytes:
    """The body of `stream` with `coding` undone, at most `limit` bytes (None: all of it); an
    unknown coding leaves it as it is. BadContentCoding when it does not decode."""
    try:
        if coding in _GZIP:
            return _inflated(stream, b"", zlib.MAX_WBITS | 32, limit)
        if coding == "deflate":
            head = stream.read(BLOCK)
            wbits = zlib.MAX_WBITS if _zlib_header(head) else -zlib.MAX_WBITS  # raw deflate: no header
            return _inflated(stream, head, wbits, limit)
        if coding == "br":
            return _unbrotli(stream, limit)
    except (zlib.error, brotli.error, BadContentCoding) as exc:
        raise BadContentCoding(f"bad {coding} body ({exc})") from exc
    return stream.read() if limit is None else stream.read(limit)


def _inflated(stream: Readable, head: bytes, wbits: int, limit: int | None) -> bytes:
    """`head` (read already) and the rest of `stream`, inflated; input that the limit held
    back is fed again before more is read."""
    decoder, parts, size = zlib.decompressobj(wbits), [], 0
    while (limit is None or size < limit) and not decoder.eof:
        data, head = decoder.unconsumed_tail or head or stream.read(BLOCK), b""
        if not data:
            break
        part = decoder.decompress(data, 0 if limit is None else limit - size)  # 0: no limit
        parts.append(part)
        size += len(part)
    if not decoder.eof and (limit is None or size < limit):
        raise BadContentCoding("the body is cut short")
    return b"".join(parts)[:limit]


def _unbrotli(stream: Readable, limit: int | None) -> bytes:
    decoder, parts, size = brotli.Decompressor(), [], 0
    while (limit is None or size < limit) and not decoder.is_finished():
        data = stream.read(BLOCK) if decoder.can_accept_more_data() else b""
        if not data and decoder.can_accept_more_data():
            raise BadContentCoding("the body is cut short")
        room = {} if limit is None else {"output_buffer_limit": limit - size}
        part = decoder.process(data, **room)
        parts.append(part)
        size += len(part)
    return b"".join(parts)[:limit]


def _zlib_header(head: bytes) -> bool:
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
