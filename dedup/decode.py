"""Bytes + HTTP headers → text, for UTF-8, the GB family and Big5, whatever the page declares.

Declared charsets on Chinese sites are often wrong or missing, so a declaration is only a
candidate: a candidate wins when the bytes decode under it without errors, and a body that is
valid UTF-8 (with non-ASCII bytes) is UTF-8 whatever was declared, since GBK text is almost
never valid UTF-8 while UTF-8 text often "decodes" as GBK garbage. With no such candidate, the
reading that looks most like Chinese prose wins (`_undeclared`).
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from dedup.errors import Rejected
from dedup.reasons import RejectReason

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The GB family nests: GB2312 ⊂ GBK ⊂ GB18030, so the superset decodes what any of them labels.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]{1,40})""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]{1,40})""", re.I)
_MAGIC = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"GIF8", "gif"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "ole"),
    (b"\x1f\x8b", "gzip"),
    (b"RIFF", "riff"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"wOFF", "woff"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"\x7fELF", "elf"),
)
_TEXT_TYPES = re.compile(r"^\s*(text/|application/(xhtml|xml|[a-z.+-]*\+xml)|$)", re.I)
# C0 controls other than tab/newline/CR break lxml and mean nothing in a page's text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
_SNIFF = 4096
_TAG_SPLIT = re.compile(rb"(?=<)")
MIXED_SHARE = 0.1  # each encoding must carry this share of the non-ASCII bytes to call a page mixed
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
# Tried when no declaration decodes: GB18030, and Big5 as Windows and browsers write it (cp950
# adds ETEN's extensions and the euro sign to Big5).
_SNIFFED = ("gb18030", "cp950")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_SCORED = 4000  # non-ASCII characters of a reading scored


@dataclass(frozen=True, slots=True)
class Decoded:
    """A page's text and how it was got (`source`: bom, header, meta, utf-8, sniffed, lossy)."""

    text: str
    encoding: str
    source: str


def canonical_charset(name: str | None) -> str | None:
    """Codec name for a declared charset, the GB family widened to GB18030; None if unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF])
    return match.group(1).decode("ascii", "ignore") if match else None


def binary_kind(body: bytes, content_type: str | None = None) -> str | None:
    """Name of the binary format the body is (by magic bytes or content type), else None."""
    head = body[:16].lstrip()
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if content_type and not _TEXT_TYPES.match(content_type):
        return content_type.split(";", 1)[0].strip().lower()
    head = body[:_SNIFF]
    if len(_BINARY_BYTES.findall(head)) > len(head) // 10 and not _bom(body):
        return "binary"
    return None


def decode(body: bytes, content_type: str | None = None, override: str | None = None) -> Decoded:
    """Decode an HTML body; raises Rejected for empty or binary bodies."""
    if not body.strip():
        raise Rejected(RejectReason.EMPTY_BODY, f"{len(body)} bytes")
    kind = binary_kind(body, content_type)
    if kind:
        raise Rejected(RejectReason.BINARY, kind)
    text, encoding, source = _decode(body, content_type, override)
    return Decoded(_CONTROLS.sub("", text), encoding, source)


def _bom(body: bytes) -> str | None:
    return next((name for bom, name in _BOMS if body.startswith(bom)), None)


def _decode(body: bytes, content_type: str | None, override: str | None) -> tuple[str, str, str]:
    bom = _bom(body)
    if bom:
        return body.decode(bom, "replace"), codecs.lookup(bom).name, "bom"
    declared = [
        (canonical_charset(override), "override"),
        (canonical_charset(header_charset(content_type)), "header"),
        (canonical_charset(meta_charset(body)), "meta"),
    ]
    if _is_utf8(body):
        return body.decode("utf-8"), "utf-8", _source_of("utf-8", declared, "utf-8")
    mixed = _mixed(body)
    if mixed is not None:
        return mixed, "utf-8+gb18030", "mixed"
    for encoding, source in declared:
        text = _strict(body, encoding)
        if encoding and text is not None:
            return text, encoding, source
    return _undeclared(body, [e for e, _ in declared if e])


def _mixed(body: bytes) -> str | None:
    """A page pasted together from UTF-8 and GB parts (a UTF-8 template around GBK content):
    each stretch between tags decoded as what it is. Only when both kinds carry a real share of
    the non-ASCII bytes; GBK text is almost never valid UTF-8, so a GBK page never qualifies."""
    pieces = _TAG_SPLIT.split(body)
    utf8 = [_strict(piece, "utf-8") for piece in pieces]
    gb = [t if t is not None else _strict(p, "gb18030") for p, t in zip(pieces, utf8, strict=True)]
    if any(text is None for text in gb):
        return None
    utf8_bytes = sum(_non_ascii(p) for p, t in zip(pieces, utf8, strict=True) if t is not None)
    other_bytes = sum(_non_ascii(p) for p, t in zip(pieces, utf8, strict=True) if t is None)
    if min(utf8_bytes, other_bytes) < MIXED_SHARE * (utf8_bytes + other_bytes):
        return None
    return "".join(text or "" for text in gb)


def _non_ascii(piece: bytes) -> int:
    return len(piece) - len(piece.decode("ascii", "ignore"))


def _source_of(encoding: str, declared: list[tuple[str | None, str]], default: str) -> str:
    return next((source for name, source in declared if name == encoding), default)


def _is_utf8(body: bytes) -> bool:
    return _strict(body, "utf-8") is not None


def _strict(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _undeclared(body: bytes, declared: list[str]) -> tuple[str, str, str]:
    """The reading most like Chinese prose: a strict GB18030 or Big5 decode ("sniffed"), else a
    decode with replacements ("lossy"); the first on a tie. GB18030 takes nearly every Big5 byte
    pair (as rare, Japanese or private-use characters), and UTF-8 with a few bad bytes is still
    UTF-8 rather than a strict GB18030 garble."""
    readings = [(text, e, "sniffed") for e in _SNIFFED if (text := _strict(body, e)) is not None]
    lossy = dict.fromkeys([*declared, "utf-8", *_SNIFFED])
    readings += [(body.decode(e, "replace"), e, "lossy") for e in lossy]
    return max(readings, key=lambda reading: _chinese_score(reading[0]))


def _chinese_score(text: str) -> float:
    """Share of the non-ASCII characters (the first few thousand) that are frequent hanzi, less
    the share that are replacement characters: 0.84-0.97 for speeches read in their encoding,
    0.2-0.4 for Big5 read as GB18030 (200-character and longer samples of the seeds)."""
    sample = _ASCII_RUNS.sub("", text[: 50 * _SCORED])[:_SCORED]
    if not sample:
        return 0.0
    return (len(_frequent_hanzi().findall(sample)) - sample.count("\ufffd")) / len(sample)


@functools.cache
def _frequent_hanzi() -> re.Pattern[str]:
    """GB2312's level 1 (3,755 simplified) and Big5's frequent block (5,401 traditional), read
    from the codecs themselves: 6,722 characters."""
    trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    chars = _pairs("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    chars |= _pairs("big5", range(0xA4, 0xC6), trails) | _pairs("big5", [0xC6], range(0x40, 0x7F))
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


def _pairs(codec: str, leads: Iterable[int], trails: Iterable[int]) -> set[str]:
    """The characters of the codec's two-byte codes with these lead and trail bytes."""
    trails = list(trails)
    return {text for lead in leads for trail in trails if (text := _strict(bytes((lead, trail)), codec))}
