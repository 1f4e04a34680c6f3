"""WARC/1.1 capture (warcio): request, response, revisit-for-304 and document records.

Each record is its own gzip member, so a (file, offset, length) triple addresses exactly one record
and `read_page` can fetch it back without scanning. Files roll over at `max_bytes`. Records are
written whole: each at once, or (with `buffer_bytes`, as the crawler does) held until that many
bytes wait or `flush()` is called, so a killed writer never leaves half a record behind; a write
the disk refuses part-way (full, file too large) is cut off again, so the file ends after the
last whole record. Header values are checked to be printable ASCII before anything is written.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from archive.capture import CaptureRef, DocumentCapture
from archive.content_coding import content_coding, decoded
from archive.errors import (
    ArchiveWriteError,
    BadContentCoding,
    DigestMismatch,
    UnsafeWarcHeader,
    WarcDamage,
    WarcReadError,
)
from archive.location import ArchiveLocation, ArchiveRoot, as_location
from archive.naming import WriterTag, new_writer_tag
from dedup.records import Page

Headers = Sequence[tuple[str, str]]
# Scrapy hands us the de-chunked body; keeping these headers would misdescribe the stored bytes.
DROPPED_HEADERS = {"transfer-encoding", "content-length"}
DOCUMENT_RECORD = "application/vnd.dedupcrawl.document+json"
# What reading a damaged archive raises: warcio trips over a record cut inside its headers with
# AttributeError/TypeError (a missing WARC-Target-URI, say) besides its own errors.
_MALFORMED = (ArchiveLoadFailed, EOFError, OSError, zlib.error, ValueError, AttributeError, TypeError)
# ISA-L's gzip at its default level: a third of the CPU of warcio's zlib level 9 for files about
# 5% larger on pages this size; plain gzip members, readable by any gzip/zlib reader.
GZIP_LEVEL = isal_zlib.ISAL_DEFAULT_COMPRESSION
GZIP_WBITS = 31  # a gzip header and trailer: each record a gzip member of its own
_MEMBER_START = b"\x1f\x8b\x08"  # a gzip member's magic and deflate method
CAPTURE_RECORDS = ("response", "revisit")  # what a crawl's `captures` counts
# The folder (under the archive directory) of records derived from captures: documents' texts and
# alignments (workers.stores.document_texts); rebuilt by a reindex, so it never reads them.
DERIVED_FOLDER = "texts"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP request and its response as the crawler saw them."""

    url: str
    method: str
    request_headers: Headers
    status: int
    reason: str
    response_headers: Headers
    body: bytes
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class Written:
    """Where a record landed and what it holds."""

    record_id: str
    warc_file: str
    offset: int
    length: int
    payload_digest: str


@dataclass(frozen=True, slots=True)
class ArchivedRecord:
    """One record met while scanning the archive (reindex, import)."""

    record_type: str
    url: str
    date: datetime | None
    warc_file: str
    offset: int
    length: int
    payload_digest: str | None
    content_type: str | None


def payload_digest(payload: bytes) -> str:
    return _sha1_label(hashlib.sha1(payload).digest())  # noqa: S324


def _sha1_label(digest: bytes) -> str:
    return "sha1:" + base32_160(digest)


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648
_BASE32_PAIRS = tuple(a + b for a in _BASE32 for b in _BASE32)


def base32_160(digest: bytes) -> str:
    """`base64.b32encode` of a 20-byte digest (no padding), ten bits a lookup: the standard
    library's is pure Python, and five digests a document are written on the ingest's path."""
    if len(digest) != 20:
        return base64.b32encode(digest).decode("ascii")
    n = int.from_bytes(digest, "big")
    return "".join([_BASE32_PAIRS[(n >> shift) & 1023] for shift in range(150, -10, -10)])


class WarcArchive:
    """Appends records to rolling `<name>-<writer>-<seq>.warc.gz` files under the archive's spool
    (`archive.location`), each created by this writer alone (`archive.naming`); with
    `buffer_bytes`, a record may be read back only after `flush()` (or `close()`), by another
    host only after `sync()` (which, for an object store, seals and uploads the file)."""

    def __init__(
        self, warc_dir: ArchiveRoot, name: str, max_bytes: int = 1_000_000_000, buffer_bytes: int = 0
    ) -> None:
        self.location = as_location(warc_dir)
        self.warc_dir = self.location.spool
        self.warc_dir.mkdir(parents=True, exist_ok=True)
        self._name = name
        self._max_bytes = max_bytes
        self._buffer_bytes = buffer_bytes
        self._seq = 0
        self._writer_tag: WriterTag | None = None
        self._file: IO[bytes] | None = None
        self._relative = ""
        self._published = True  # (no file yet)
        self._size = 0  # of the current file, buffered records included
        self._pending: list[tuple[bytes, bool]] = []  # gzip members, and whether each is a capture
        self._pending_bytes = 0
        self._on_disk = 0  # size of the current file up to its last whole record
        self.captures_written = 0  # response and revisit records on disk
        self.captures_lost = 0  # and those the disk refused
        # warcio builds and serializes every record; each serialized record is gzipped here.
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version="1.1")

    def write_exchange(self, exchange: Exchange) -> Written:
        """Request record, then the response record whose location is returned."""
        _check_header("WARC-Target-URI", exchange.url)
        response = _http_head(f"HTTP/1.1 {exchange.status} {exchange.reason}", _kept_headers(exchange))
        request_line = f"{exchange.method} {_request_target(exchange.url)} HTTP/1.1"
        request = _http_head(request_line, list(exchange.request_headers))
        response_id = StatusAndHeadersParser.make_warc_id()
        when = exchange.fetched_at
        self._write_block("request", exchange.url, when, request, b"", (("WARC-Concurrent-To", response_id),))
        return self._write_block("response", exchange.url, when, response, exchange.body, (), response_id)

    def write_revisit(self, exchange: Exchange, refers_to: CaptureRef) -> Written:
        """A 304: a revisit record pointing at the capture whose payload did not change."""
        _check_header("WARC-Target-URI", exchange.url)
        record = self._writer.create_revisit_record(
            exchange.url,
            refers_to.payload_digest,
            refers_to.url,
            _warc_date(refers_to.fetched_at),
            http_headers=_status_line(exchange),
            warc_headers_dict={"WARC-Date": _warc_date(exchange.fetched_at)},
        )
        record.rec_headers.add_header("WARC-Refers-To", f"<urn:dedupcrawl:{refers_to.capture_id}>")
        return self._write(record)

    def write_document(self, capture: DocumentCapture) -> Written:
        """A metadata record naming a document's pages, so reindex can regroup them."""
        _check_header("WARC-Target-URI", capture.doc_url)
        body = json.dumps(capture.to_dict(), ensure_ascii=False).encode("utf-8")
        when = datetime.now(UTC)
        return self._write_block("metadata", capture.doc_url, when, b"", body, (), "", DOCUMENT_RECORD)

    def write_derived(self, kind: str, url: str, refers_to: str, body: bytes, content_type: str) -> Written:
        """A `conversion` or `metadata` record derived from the capture `refers_to` (its capture
        id): a document's texts, its alignments."""
        refers = (("WARC-Refers-To", f"<urn:dedupcrawl:{refers_to}>"),)
        return self._write_block(kind, url, datetime.now(UTC), b"", body, refers, "", content_type)

    def _write_block(
        self,
        kind: str,
        url: str,
        when: datetime,
        head: bytes,
        payload: bytes,
        extra: Headers,
        record_id: str = "",
        content_type: str = "",
    ) -> Written:
        """One record, its headers in warcio's order, serialized here rather than by warcio: a
        third of the cost, on the ingest's path (three records a document). `head`: the HTTP
        head of a request or response record (its content type says which)."""
        digest = payload_digest(payload)
        block = _sha1_label(hashlib.sha1(head + payload).digest()) if head else digest  # noqa: S324
        record_id = record_id or StatusAndHeadersParser.make_warc_id()
        headers = (
            ("WARC-Type", kind),
            ("WARC-Record-ID", record_id),
            ("WARC-Target-URI", url),
            ("WARC-Date", _warc_date(when)),
            ("WARC-Payload-Digest", digest),
            ("WARC-Block-Digest", block),
            *extra,
            ("Content-Type", content_type or f"application/http; msgtype={kind}"),
            ("Content-Length", str(len(head) + len(payload))),
        )
        for name, value in (("WARC-Target-URI", url), *extra, ("Content-Type", content_type)):
            _check_header(name, value)  # (the others are written here: ASCII by construction)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
        self._open()
        serialized = b"".join((b"WARC/1.1\r\n", lines.encode("ascii"), b"\r\n", head, payload, b"\r\n\r\n"))
        offset, length = self._append_serialized(serialized, kind in CAPTURE_RECORDS)
        return Written(record_id, self._relative, offset, length, digest)

    def flush(self) -> None:
        """Write the buffered records out; ArchiveWriteError (an OSError) if the disk refuses
        them, after cutting the file back to its last whole record."""
        if self._file is None or not self._pending:
            return
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        for number, (member, capture) in enumerate(pending):  # what fits is kept, whole
            try:
                _write_all(self._file, member)
            except OSError as exc:
                self.captures_lost += sum(is_capture for _, is_capture in pending[number:])
                self._cut_back()
                self._abandon()
                raise ArchiveWriteError(self._relative, exc) from exc
            self._on_disk += len(member)
            self.captures_written += capture

    def sync(self) -> None:
        """`flush()`, then fsync: the records are on disk (on a shared mount, on its server), so
        a reader on any host finds them whole. Called before a capture is handed off. For an
        object store the file is sealed and uploaded instead; the next record begins a new one."""
        if self._file is not None and self.location.seals:
            self.close()
            return
        self.flush()
        if self._file is None:
            return
        try:
            os.fsync(self._file.fileno())
        except OSError as exc:
            raise ArchiveWriteError(self._relative, exc) from exc

    def close(self) -> None:
        """Flush and close the file; for an object store, upload it (ArchiveWriteError if refused)."""
        try:
            self.flush()
        finally:
            if self._file:
                self._file.close()
            self._file = None
        if self._relative and not self._published:
            self._published = True
            self.location.publish(self._relative)
    def _cut_back(self) -> None:
        """Drop the part of a record a refused write left at the end of the file."""
        try:
            if self._file:
                os.ftruncate(self._file.fileno(), self._on_disk)
        except OSError:
            pass  # then reading reports the cut-off record as damage, as after a crash

    def _abandon(self) -> None:
        """After a failed write the next record goes to a new file, so an offset handed out for
        a lost record can only ever read as truncated, never as another record."""
        try:
            if self._file:
                self._file.close()
        except OSError:
            pass
        self._file = None
        self._published = True  # what it holds past the cut is no record; never uploaded

    def _write(self, record: Any) -> Written:
        for name, value in record.rec_headers.headers:
            _check_header(name, value)
        self._open()
        offset, length = self._append(record)
        return Written(
            record_id=str(record.rec_headers.get_header("WARC-Record-ID")),
            warc_file=self._relative,
            offset=offset,
            length=length,
            payload_digest=str(record.rec_headers.get_header("WARC-Payload-Digest") or ""),
        )

    def _append(self, record: Any) -> tuple[int, int]:
        """Serialize and gzip `record` into the buffer; its offset and length in the file."""
        self._writer.write_record(record)
        serialized = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return self._append_serialized(serialized, record.rec_type in CAPTURE_RECORDS)

    def _append_serialized(self, serialized: bytes, capture: bool) -> tuple[int, int]:
        member = isal_zlib.compress(serialized, GZIP_LEVEL, GZIP_WBITS)
        offset = self._size
        self._pending.append((member, capture))
        self._pending_bytes += len(member)
        self._size += len(member)
        if self._pending_bytes >= self._buffer_bytes:
            self.flush()
        return offset, len(member)

    def _open(self) -> None:
        if self._file is not None and self._writer_tag and self._writer_tag.pid != os.getpid():
            self._file = None  # a forked copy writes a file of its own; the parent's stays the parent's
        if self._file is not None:
            if self._size < self._max_bytes:
                return
            self.close()
        self._next_file()

    def _next_file(self) -> None:
        if self._writer_tag is None or self._writer_tag.pid != os.getpid():  # (a forked copy too)
            self._writer_tag, self._seq = new_writer_tag(), 0
        while True:
            self._seq += 1
            self._relative = self._writer_tag.file_name(self._name, self._seq)
            path = self.warc_dir / self._relative
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # unbuffered: a failed write is cut back whole; "x": created here, never shared
                self._file = path.open("xb", buffering=0)
                self._published = False
                break
            except FileExistsError:
                continue
            except OSError as exc:
                raise ArchiveWriteError(self._relative, exc) from exc
        self._size = self._on_disk = self._file.tell()
        info = self._writer.create_warcinfo_record(
            self._relative, {"software": "dedupcrawl", "format": "WARC File Format 1.1"}
        )
        self._append(info)


def _write_all(file: IO[bytes], data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[file.write(view) or 0 :]


def _check_header(name: str, value: str) -> None:
    if not (value.isascii() and value.isprintable()):
        raise UnsafeWarcHeader(f"WARC header {name} must be printable ASCII, got {value[:200]!r}")


def read_page(warc_dir: ArchiveRoot, ref: CaptureRef) -> Page:
    """The archived response of `ref`, digest verified, content-encoding undone."""
    return read_response(warc_dir, ref).page


@dataclass(frozen=True, slots=True)
class ArchivedResponse:
    """A capture as the archive holds it: the page, its HTTP status line, its WARC headers."""

    page: Page
    status_line: str
    warc_headers: tuple[tuple[str, str], ...]


def read_response(warc_dir: ArchiveRoot, ref: CaptureRef) -> ArchivedResponse:
    """`read_page` with the record's HTTP status line and WARC headers (for a capture's page)."""
    record_bytes = _read_span(warc_dir, ref)
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(record_bytes))))
        raw = record.raw_stream.read()
    except (StopIteration, *_MALFORMED) as exc:
        raise WarcReadError(f"{ref.warc_file}@{ref.offset}: unreadable record ({exc})") from exc
    _check_record(record, ref, raw)
    headers = tuple(record.http_headers.headers) if record.http_headers else ()
    page = Page(
        capture_id=ref.capture_id,
        url=ref.url,
        body=_decode_content(raw, headers, ref),
        headers=headers,
        fetched_at=ref.fetched_at,
        encoding_override=ref.encoding_override,
    )
    status = record.http_headers.statusline if record.http_headers else ""
    return ArchivedResponse(page, status, tuple(record.rec_headers.headers))


def _read_span(warc_dir: ArchiveRoot, ref: CaptureRef) -> bytes:
    return read_span(warc_dir, ref.warc_file, ref.offset, ref.length)


def read_span(warc_dir: ArchiveRoot, warc_file: str, offset: int, length: int) -> bytes:
    """The `length` bytes at `offset` of `warc_file` (one record's gzip member), wherever the
    archive is (`archive.location`)."""
    data = as_location(warc_dir).read_span(warc_file, offset, length)
    if len(data) != length:
        raise WarcReadError(f"{warc_file}@{offset}: truncated ({len(data)} of {length} bytes)")
    return data


def read_derived(warc_dir: ArchiveRoot, warc_file: str, offset: int, length: int, content_type: str) -> bytes:
    """The payload of the `conversion`/`metadata` record at `offset` (`write_derived`), its type
    and digest checked; read without warcio (a fifth of the time on records this small)."""
    where = f"{warc_file}@{offset}"
    member = zlib.decompressobj(GZIP_WBITS)
    try:
        record = member.decompress(read_span(warc_dir, warc_file, offset, length))
    except zlib.error as exc:
        raise WarcReadError(f"{where}: corrupt record ({exc})") from exc
    if not member.eof:
        raise WarcReadError(f"{where}: truncated record")
    head, _, rest = record.partition(b"\r\n\r\n")
    headers = _header_lines(head)
    if headers.get("content-type") != content_type:
        raise WarcReadError(f"{where}: a {headers.get('content-type')} record, not {content_type}")
    payload = rest[: int(headers.get("content-length", "-1"))]
    actual, stated = payload_digest(payload), headers.get("warc-payload-digest")
    if actual != stated:
        raise DigestMismatch(f"{where}: payload digest {actual} ≠ {stated}")
    return payload


def _header_lines(head: bytes) -> dict[str, str]:
    """A record's WARC headers by lower-cased name (the version line left out)."""
    lines = head.decode("utf-8", "replace").split("\r\n")[1:]
    return {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}


def _check_record(record: Any, ref: CaptureRef, raw: bytes) -> None:
    if record.rec_type != "response":
        raise WarcReadError(f"{ref.warc_file}@{ref.offset}: a {record.rec_type} record, not a response")
    target = record.rec_headers.get_header("WARC-Target-URI")
    if target != ref.url:
        raise WarcReadError(f"{ref.warc_file}@{ref.offset}: record is for {target}, not {ref.url}")
    stated = record.rec_headers.get_header("WARC-Payload-Digest")
    actual = payload_digest(raw)
    if actual not in (stated, ref.payload_digest) or stated != ref.payload_digest:
        raise DigestMismatch(f"{ref.warc_file}@{ref.offset}: payload digest {actual} ≠ {stated}")


def _decode_content(raw: bytes, headers: Headers, ref: CaptureRef) -> bytes:
    """The body as the server meant it: the crawler archives it with its content coding."""
    try:
        return decoded(io.BytesIO(raw), content_coding(headers))
    except BadContentCoding as exc:
        raise WarcReadError(f"{ref.warc_file}@{ref.offset}: {exc}") from exc


def iter_records(
    warc_dir: ArchiveRoot,
    on_error: Callable[[WarcReadError], None] | None = None,
    skip: Sequence[str] = (),
) -> Iterator[ArchivedRecord]:
    """Every readable record of every `*.warc.gz` file, oldest file first (but those under the
    top folders named in `skip`). Each damaged stretch (corrupt or cut records, bytes that are no
    record) is reported through `on_error` (default: raised) and reading resumes at the next
    record after it (`next_record_start`)."""
    location = as_location(warc_dir)
    for name in location.names():
        if name.split("/")[0] not in skip:
            yield from _scan_copy(location, name, on_error)


def _scan_copy(
    location: ArchiveLocation, name: str, on_error: Callable[[WarcReadError], None] | None
) -> Iterator[ArchivedRecord]:
    """`_scan_file` of a local copy of `name` (the file itself, for a directory)."""
    with contextlib.ExitStack() as stack:
        try:
            path = stack.enter_context(location.local_copy(name))
        except WarcReadError as exc:  # the object could not be fetched: a damaged stretch, whole
            damage = WarcDamage(name, 0, None, str(exc))
            if on_error is None:
                raise damage from exc
            on_error(damage)
            return
        yield from _scan_file(path, name, on_error)


def iter_documents(
    warc_dir: ArchiveRoot,
    on_error: Callable[[WarcReadError], None] | None = None,
) -> Iterator[DocumentCapture]:
    """The documents the crawler handed off, from their metadata records, in archive order."""
    root = as_location(warc_dir)
    for record in iter_records(root, on_error, skip=(DERIVED_FOLDER,)):
        if record.record_type == "metadata" and record.content_type == DOCUMENT_RECORD:
            yield DocumentCapture.from_dict(json.loads(_metadata_body(root, record)))


def _scan_file(
    path: Path, relative: str, on_error: Callable[[WarcReadError], None] | None
) -> Iterator[ArchivedRecord]:
    start, size = 0, _size(path)
    while start < size:
        end, problem = start, "no WARC record here"
        try:
            for record in _scan_from(path, relative, start):
                end = record.offset + record.length
                yield record
        except WarcReadError as exc:
            problem = str(exc)
        except _MALFORMED as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if end >= size:
            return
        try:
            resume = next_record_start(path, end + 1)  # past the record that failed at `end`
        except OSError:
            resume = None
        error = WarcDamage(relative, end, resume, problem)
        if on_error is None:
            raise error
        on_error(error)
        start = resume if resume is not None else size


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone since the directory was listed: nothing to read
        return 0


def _scan_from(path: Path, relative: str, start: int) -> Iterator[ArchivedRecord]:
    """The records from byte `start` on, until the file ends or a record is damaged (raised)."""
    with path.open("rb") as handle, path.open("rb") as check:
        handle.seek(start)
        iterator = ArchiveIterator(handle)
        for record in iterator:
            record.raw_stream.read()  # consume, so the length below is the member's
            offset, length = iterator.get_record_offset(), iterator.get_record_length()  # (absolute)
            _check_member(check, offset, length, relative)
            if record.rec_type is None:
                raise WarcReadError(f"{relative}@{offset}: not a WARC record")
            yield _archived(record, relative, offset, length)


def next_record_start(path: Path, after: int, chunk: int = 1 << 20) -> int | None:
    """Offset of the first record at or after byte `after`: a gzip member that inflates to a
    WARC header in a .gz file, a "WARC/1." line otherwise; None when there is none."""
    gzipped = path.name.lower().endswith(".gz")
    marker = _MEMBER_START if gzipped else b"\nWARC/1."
    with path.open("rb") as handle:
        position = after
        while True:
            handle.seek(position)
            data = handle.read(chunk + len(marker) - 1)
            if len(data) < len(marker):
                return None
            found = data.find(marker)
            while found != -1:
                start = position + found + (0 if gzipped else 1)  # (after a plain file's newline)
                if _inflates_to_record(handle, start, gzipped):
                    return start
                found = data.find(marker, found + 1)
            position += chunk


def _inflates_to_record(handle: IO[bytes], offset: int, gzipped: bool) -> bool:
    """Whether the bytes at `offset` begin a WARC record (inflated first, for a gzip member)."""
    handle.seek(offset)
    head = handle.read(1 << 12)
    if not gzipped:
        return head.startswith(b"WARC/")
    try:
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, 16).startswith(b"WARC/")
    except zlib.error:
        return False


def readable_records(
    path: Path,
    on_damage: Callable[[WarcDamage], None] | None = None,
    bad: Mapping[int, WarcDamage] | None = None,
) -> Iterator[Any]:
    """warcio's records of a WARC file, but none from a gzip member zlib refuses (`bad`, from
    `damaged_members` unless given: warcio reads a cut-off or CRC-failing member without
    complaint). Past a damaged stretch, reading resumes at the next record; `on_damage` hears
    of each stretch."""
    bad = damaged_members(path) if bad is None else bad
    for found in bad.values():
        if on_damage:
            on_damage(found)
    start, size = 0, path.stat().st_size
    while start < size:
        with path.open("rb") as handle:
            handle.seek(start)
            iterator = ArchiveIterator(handle)
            try:
                for record in iterator:
                    if iterator.offset not in bad:  # (the offset of the record just read)
                        yield record
                return
            except Exception as exc:  # warcio raises many kinds on damaged files
                failed, problem = iterator.offset, f"{type(exc).__name__}: {exc}"
        resume = next_record_start(path, max(failed, start) + 1)
        if on_damage and failed not in bad:
            on_damage(WarcDamage(path.name, failed, resume, problem))
        start = resume if resume is not None else size


def damaged_members(path: Path) -> dict[int, WarcDamage]:
    """The gzip members of a .gz file that zlib refuses (corrupt, failing their CRC, cut off,
    or bytes that are no member), by offset; past one, checking resumes at the next record."""
    if not path.name.lower().endswith(".gz"):
        return {}
    found, start, size = {}, 0, path.stat().st_size
    with path.open("rb") as handle:
        while start < size:
            end, problem = _member_end(handle, start)
            if end is None:
                resume = next_record_start(path, start + 1)
                found[start] = WarcDamage(path.name, start, resume, problem)
                end = resume if resume is not None else size
            start = end
    return found


def _member_end(handle: IO[bytes], start: int, chunk: int = 1 << 16) -> tuple[int | None, str]:
    """Where the gzip member at `start` ends, or (None, what is wrong with it). The output is
    thrown away a megabyte at a time: a gzip bomb costs time, not memory."""
    handle.seek(start)
    member, fed = zlib.decompressobj(zlib.MAX_WBITS | 16), 0
    while data := handle.read(chunk):
        fed += len(data)
        try:
            while data and not member.eof:
                member.decompress(data, 1 << 20)
                data = member.unconsumed_tail
        except zlib.error as exc:
            return None, f"corrupt gzip data: {exc}"
        if member.eof:
            return start + fed - len(member.unused_data), ""
    return None, "the record is cut off"


def _check_member(handle: IO[bytes], offset: int, length: int, relative: str) -> None:
    """warcio accepts a truncated last gzip member silently; zlib does not (CRC, end marker)."""
    handle.seek(offset)
    member = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        member.decompress(handle.read(length))
    except zlib.error as exc:
        raise WarcReadError(f"{relative}@{offset}: corrupt record ({exc})") from exc
    if not member.eof:
        raise WarcReadError(f"{relative}@{offset}: truncated record")


def _archived(record: Any, relative: str, offset: int, length: int) -> ArchivedRecord:
    date = record.rec_headers.get_header("WARC-Date")
    return ArchivedRecord(
        record_type=record.rec_type,
        url=record.rec_headers.get_header("WARC-Target-URI") or "",
        date=iso_date_to_datetime(date).replace(tzinfo=UTC) if date else None,
        warc_file=relative,
        offset=offset,
        length=length,
        payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        content_type=record.rec_headers.get_header("Content-Type"),
    )


def _metadata_body(root: ArchiveLocation, record: ArchivedRecord) -> bytes:
    data = read_span(root, record.warc_file, record.offset, record.length)  # (the scan's local copy)
    return bytes(next(iter(ArchiveIterator(io.BytesIO(data)))).content_stream().read())


def capture_ref(written: Written, exchange: Exchange, site: str, encoding: str | None) -> CaptureRef:
    return CaptureRef(
        capture_id=_capture_id(written.record_id),
        url=exchange.url,
        warc_file=written.warc_file,
        offset=written.offset,
        length=written.length,
        payload_digest=written.payload_digest,
        fetched_at=exchange.fetched_at,
        status=exchange.status,
        site=site,
        encoding_override=encoding,
    )


def _capture_id(record_id: str) -> str:
    return record_id.strip("<>").rsplit(":", 1)[-1].replace("-", "")


def _warc_date(when: datetime) -> str:
    return str(datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _status_line(exchange: Exchange) -> StatusAndHeaders:
    return StatusAndHeaders(f"{exchange.status} {exchange.reason}", _described(exchange), protocol="HTTP/1.1")


def _described(exchange: Exchange) -> list[tuple[str, str]]:
    return [(k, v) for k, v in exchange.response_headers if k.lower() not in DROPPED_HEADERS]


def _kept_headers(exchange: Exchange) -> list[tuple[str, str]]:
    """The response headers archived: the body's true length, not what the server sent."""
    return [*_described(exchange), ("Content-Length", str(len(exchange.body)))]


def _http_head(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    """An HTTP head as warcio writes it: a header value that is not ASCII percent-encoded (RFC 8187)."""
    head = StatusAndHeaders(first_line, headers)
    return bytes(head.to_ascii_bytes())


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
