"""Documents that were not crawled: JSON Lines, saved HTML pages and foreign WARC files.

Each imported document is first written into our own WARC archive (JSON Lines records as
they were given, HTML and foreign responses as response records), with a document record,
so `reindex` rebuilds imports exactly like crawled pages.

Every record stands alone: a bad line, file or WARC record becomes a Rejection naming it and
the reason (`RejectReason`), and the rest of the input goes on. Only the archive refusing a write
(disk full) stops an import. Every input is read through a cap (`MAX_BODY`) without reading
more than the cap first, and a folder import reads only the regular files inside the folder.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

from warcio.bufferedreaders import ChunkedDataReader

from archive.capture import DocumentCapture
from archive.content_coding import content_coding, decoded
from archive.errors import ArchiveWriteError, BadUrl, WarcDamage
from archive.urls import canonical_url
from archive.warc import (
    DOCUMENT_RECORD,
    Exchange,
    WarcArchive,
    capture_ref,
    damaged_members,
    readable_records,
)
from dedup.dates import given_first, parse_date
from dedup.errors import Rejected
from dedup.extract import extract
from dedup.reasons import RejectReason
from dedup.records import Extraction, Page, Rejection

IMPORT_RECORD = "application/vnd.dedupcrawl.import+json"
IMPORT_KIND = "import"
IMPORT_STAGE = "import"
# As the crawler's DOWNLOAD_MAXSIZE, for a page file, a JSON Lines line or a WARC payload (once
# decoded: a decompression bomb stops here). Larger inputs are rejected, never truncated: a cut
# page would be clustered and traced as if it were whole.
MAX_BODY = 10 * 1024 * 1024
_READ_CHUNK = 1 << 20
_PAGE_SUFFIXES = (".html", ".htm")
# A page file is opened without following a final symlink, without blocking on a FIFO, and is
# read only after fstat on that descriptor says it is a regular file (no stat-then-open race).
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_ENCODING_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
_CANONICAL = re.compile(rb"""<link[^>]+rel=["']?canonical["']?[^>]*href=["']([^"']+)["']""", re.I)


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One JSON Lines record: a URL and its text or HTML, optionally a title and a date."""

    url: str
    text: str | None = None
    html: str | None = None
    title: str | None = None
    published: date | None = None

    @classmethod
    def from_json(cls, line: bytes | str) -> ImportRecord:
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:  # (UnicodeDecodeError is a ValueError)
            raise Rejected(RejectReason.BAD_JSON, str(exc)[:200]) from exc
        if not isinstance(data, dict):
            raise Rejected(RejectReason.BAD_RECORD, f"expected an object, got {type(data).__name__}")
        return cls._checked(data)

    @classmethod
    def _checked(cls, data: dict[str, Any]) -> ImportRecord:
        url, text, html = (_string(data, name) for name in ("url", "text", "html"))
        if url is None:
            raise Rejected(RejectReason.BAD_URL, "a record needs `url` (a string)")
        canonical = _canonical(url)
        if text is None and html is None:
            raise Rejected(RejectReason.NO_CONTENT, "a record needs `text` or `html` (a string)")
        return cls(
            url=canonical,
            text=text,
            html=html,
            title=_string(data, "title"),
            published=_published(_string(data, "published")),
        )

    def to_json(self) -> bytes:
        data = {
            "url": self.url,
            "text": self.text,
            "html": self.html,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
        }
        kept = {k: v for k, v in data.items() if v is not None}
        return json.dumps(kept, ensure_ascii=False).encode("utf-8")

    def extraction(self, capture_id: str) -> Extraction:
        """Text records skip extraction; HTML records go through the same extractor as pages."""
        if self.html is not None:
            html_type = (("Content-Type", "text/html; charset=utf-8"),)
            found = extract(Page(capture_id, self.url, self.html.encode("utf-8"), html_type))
        else:
            found = Extraction(capture_id, self.url, self.text or "", extractor="import_text")
        return Extraction(
            capture_id=capture_id,
            url=self.url,
            text=found.text,
            title=self.title or found.title,
            published=self.published or found.published,
            author=found.author,
            site=found.site,
            extractor=found.extractor,
            encoding=found.encoding,
            version=found.version,
            dates=given_first(self.published, found.dates),
        )


def _string(data: dict[str, Any], name: str) -> str | None:
    """The field if it is a string; Rejected if it is a string that is no text (JSON allows
    a lone surrogate such as "\\ud800", which no UTF-8 file can hold)."""
    value = data.get(name)
    if not isinstance(value, str):
        return None
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Rejected(RejectReason.BAD_TEXT, f"`{name}`: {exc.reason} at {exc.start}") from exc
    return value


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except BadUrl as exc:
        raise Rejected(RejectReason.BAD_URL, str(exc)) from exc


def _published(value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return parse_date(value)


class Importer:
    """Archives imported documents and yields one DocumentCapture (or a Rejection) each;
    `current` names the line, file or record the item last yielded came from."""

    def __init__(self, archive: WarcArchive) -> None:
        self.archive = archive
        self.current = ""
        # the import record the item last yielded was archived as (a JSON Lines record): the
        # ingest that follows takes it from here rather than read it back from the archive
        self.written: dict[str, Page] = {}

    def jsonl(self, path: Path) -> Iterator[DocumentCapture | Rejection]:
        with path.open("rb") as handle:
            for number, line in _capped_lines(handle, MAX_BODY):
                if line is None or line.strip():
                    self.current = f"{path.name}:{number}"
                    yield self._alone(f"import:{self.current}", "", self._jsonl_line, line)

    def _jsonl_line(self, line: bytes | None) -> DocumentCapture:
        if line is None:
            raise Rejected(RejectReason.TOO_LARGE, f"a line of more than {MAX_BODY} bytes (not read)")
        record = ImportRecord.from_json(line)
        headers, body = (("Content-Type", IMPORT_RECORD),), record.to_json()
        capture = self._archive(record.url, headers, body)
        ref = capture.pages[0]
        self.written = {ref.capture_id: Page(ref.capture_id, ref.url, body, headers, ref.fetched_at)}
        return capture

    def html_folder(self, folder: Path) -> Iterator[DocumentCapture | Rejection]:
        """The .html/.htm regular files under `folder`; a symlink, FIFO, device or socket is a
        rejection, and nothing outside the folder is ever opened (`os.fwalk` holds each
        directory open and does not descend a linked one; files are opened relative to it)."""
        top = folder.resolve()  # the folder named is followed; nothing inside it is
        for root, dirs, files, root_fd in os.fwalk(top, follow_symlinks=False):
            dirs.sort()
            base = Path(root).relative_to(top)
            for name in sorted(dirs):
                if _is_link(name, root_fd):
                    detail = "a link to a directory (not followed)"
                    yield self._refused(base / name, RejectReason.SYMLINK, detail)
            for name in sorted(files):
                if name.lower().endswith(_PAGE_SUFFIXES):
                    yield self._folder_file(base / name, name, root_fd)

    def _folder_file(self, relative: Path, name: str, root_fd: int) -> DocumentCapture | Rejection:
        url = _file_url(relative)
        self.current = relative.as_posix()

        return self._alone(f"import:{url}", url, self._archive_file, url, name, root_fd)

    def _archive_file(self, url: str, name: str, root_fd: int) -> DocumentCapture:
        body = _read_regular_file(name, root_fd, MAX_BODY)
        return self._archive(_canonical_link(body) or url, (("Content-Type", "text/html"),), body)

    def _refused(self, relative: Path, reason: RejectReason, detail: str) -> Rejection:
        url = _file_url(relative)
        self.current = relative.as_posix()
        return Rejection(f"import:{url}", url, IMPORT_STAGE, reason, detail)

    def warc(self, path: Path) -> Iterator[DocumentCapture | Rejection]:
        """HTML responses of a foreign WARC file, one document each; from a dedupcrawl archive,
        the documents its document records name (pages grouped). Each damaged stretch is
        reported, and reading resumes after it."""
        damage: list[str] = []
        try:
            bad = damaged_members(path)  # read by both passes
            grouped = _document_records(path, bad, damage.append)
            yield from self._warc_documents(path, grouped, bad, lambda found: damage.append(str(found)))
        except ArchiveWriteError:
            raise
        except Exception as exc:  # a record warcio parsed that still trips the reading: the rest
            damage.append(f"{type(exc).__name__}: {exc}"[:300])
        for number, problem in enumerate(damage, 1):
            self.current = f"{path.name}:damage{number}"
            reason = RejectReason.UNREADABLE_WARC
            yield Rejection(f"import:{self.current}", "", IMPORT_STAGE, reason, _printable(problem))

    def _warc_documents(
        self,
        path: Path,
        grouped: dict[str, DocumentCapture],
        bad: Mapping[int, WarcDamage],
        on_damage: Callable[[WarcDamage], None],
    ) -> Iterator[DocumentCapture | Rejection]:
        page_of = {page.url: doc for doc in grouped.values() for page in doc.pages}
        waiting: dict[str, dict[str, _Response]] = {}
        skipped: Counter[str] = Counter()
        done: set[str] = set()
        for record in readable_records(path, on_damage, bad):
            if not _is_html_response(record):
                skipped[_content_type(record)] += record.rec_type == "response"
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            self.current = f"{path.name}:{url}"
            try:
                response = _response(record)
            except Rejected as rejected:
                yield self._rejection(f"import:{self.current}", url, rejected)
                continue
            doc = page_of.get(response.url)
            if doc is None and grouped:
                continue  # our own archive: responses outside a document are list pages
            if doc is None:
                yield self._alone(f"import:{self.current}", url, self._archive_response, response)
                continue
            pages = waiting.setdefault(doc.doc_url, {})
            pages[response.url] = response
            if len(pages) == len(doc.pages):
                self.current = f"{path.name}:{doc.doc_url}"
                found = [pages[p.url] for p in doc.pages]
                yield self._alone(f"import:{self.current}", doc.doc_url, self._archive_pages, doc, found)
                del waiting[doc.doc_url]
                done.add(doc.doc_url)
        yield from self._leftovers(path, grouped, waiting, done, skipped)

    def _leftovers(
        self,
        path: Path,
        grouped: dict[str, DocumentCapture],
        waiting: dict[str, dict[str, _Response]],
        done: set[str],
        skipped: Counter[str],
    ) -> Iterator[Rejection]:
        for doc in grouped.values():  # pages lost to damage, or archived in another file
            if doc.doc_url not in done:
                found = f"{len(waiting.get(doc.doc_url, {}))} of {len(doc.pages)} pages in {path.name}"
                self.current = f"{path.name}:{doc.doc_url}"
                reason = RejectReason.INCOMPLETE_DOCUMENT
                yield Rejection(f"import:{self.current}", doc.doc_url, IMPORT_STAGE, reason, found)
        if +skipped:  # counted, not one rejection per image or stylesheet
            kinds = ", ".join(f"{kind} {n}" for kind, n in (+skipped).most_common())
            self.current = f"{path.name}:not_html"
            reason = RejectReason.NOT_HTML
            yield Rejection(f"import:{self.current}", "", IMPORT_STAGE, reason, _printable(kinds[:500]))

    def _archive_response(self, response: _Response) -> DocumentCapture:
        return self._archive(response.url, response.headers, response.body, response.date)

    def _archive_pages(self, doc: DocumentCapture, responses: list[_Response]) -> DocumentCapture:
        refs = []
        for response in responses:
            exchange = Exchange(
                _canonical(response.url), "GET", (), 200, "OK", response.headers, response.body, response.date
            )
            refs.append(capture_ref(self.archive.write_exchange(exchange), exchange, doc.site, None))
        capture = DocumentCapture(_canonical(doc.doc_url), doc.site, doc.site_kind, tuple(refs))
        self.archive.write_document(capture)
        return capture

    def _archive(
        self, url: str, headers: tuple[tuple[str, str], ...], body: bytes, when: datetime | None = None
    ) -> DocumentCapture:
        url = _canonical(url)  # the one form archived, stored and matched (archive.urls)
        fetched = when or datetime.now(UTC)
        exchange = Exchange(url, "GET", (), 200, "OK", headers, body, fetched)
        written = self.archive.write_exchange(exchange)
        site = urlsplit(url).hostname or IMPORT_KIND
        ref = capture_ref(written, exchange, site, None)
        capture = DocumentCapture(doc_url=url, site=site, site_kind=IMPORT_KIND, pages=(ref,))
        self.archive.write_document(capture)
        return capture

    def _alone(
        self, input_id: str, url: str, work: Callable[..., DocumentCapture], *args: Any
    ) -> DocumentCapture | Rejection:
        """One record's import: whatever is wrong with it ends as its rejection. Only the
        archive refusing a write stops the import (every later record would fail the same)."""
        try:
            return work(*args)
        except ArchiveWriteError:
            raise
        except Rejected as rejected:
            return self._rejection(input_id, url, rejected)
        except Exception as exc:  # one record's surprise must not cost the records after it
            failed = Rejected(RejectReason.IMPORT_FAILED, f"{type(exc).__name__}: {exc}")
            return self._rejection(input_id, url, failed)

    @staticmethod
    def _rejection(input_id: str, url: str, rejected: Rejected) -> Rejection:
        detail = _printable(rejected.detail[:500])
        return Rejection(_printable(input_id), _printable(url), IMPORT_STAGE, rejected.reason, detail)


def _capped_lines(handle: IO[bytes], cap: int) -> Iterator[tuple[int, bytes | None]]:
    """Each line with its number, read at most `cap` bytes at a time: a longer line is None
    (its rest is read in chunks and dropped), so memory stays bounded by the cap."""
    number = 0
    while line := handle.readline(cap + 1):
        number += 1
        if len(line) <= cap or line.endswith(b"\n"):
            yield number, line
            continue
        while (rest := handle.readline(_READ_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield number, None


def _file_url(relative: Path) -> str:
    """A saved page's address: its path in the folder, percent-encoded from its bytes, so a
    name with CR/LF, spaces or Chinese characters is still one ASCII URL."""
    return "https://import.invalid/" + quote(os.fsencode(relative.as_posix()), safe="/")


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _read_regular_file(name: str, dir_fd: int, cap: int) -> bytes:
    """The bytes of a regular file (at most `cap`) named `name` in the directory `dir_fd`."""
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise _refusal(exc) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Rejected(RejectReason.NOT_REGULAR_FILE, f"a {_file_kind(info.st_mode)}, not a file")
        if info.st_size > cap:
            raise Rejected(RejectReason.TOO_LARGE, f"{info.st_size} bytes, more than {cap} (not read)")
        return _read_capped(fd, cap)
    finally:
        os.close(fd)


def _refusal(exc: OSError) -> Rejected:
    if exc.errno == errno.ELOOP:
        return Rejected(RejectReason.SYMLINK, "a symbolic link (not followed)")
    if exc.errno == errno.ENXIO:
        return Rejected(RejectReason.NOT_REGULAR_FILE, "a socket, not a file")
    return Rejected(RejectReason.UNREADABLE_FILE, exc.strerror or str(exc))


def _read_capped(fd: int, cap: int) -> bytes:
    """At most `cap` bytes; Rejected when there are more (a file that grew since fstat)."""
    chunks, total = [], 0
    while chunk := os.read(fd, min(_READ_CHUNK, cap + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            raise Rejected(RejectReason.TOO_LARGE, f"more than {cap} bytes")
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
             (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "directory"))  # fmt: skip
    return next((name for test, name in kinds if test(mode)), "special file")


def _printable(text: str) -> str:
    """`text` storable and showable: lone surrogates escaped, control characters as `?`."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() or c in "\n\t" else "?" for c in safe)


@dataclass(frozen=True, slots=True)
class _Response:
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    date: datetime


def _response(record: Any) -> _Response:
    """The response with its body decoded (chunks, gzip, brotli) and at most MAX_BODY bytes;
    the headers that described the encoding go, since the body is archived decoded."""
    url = record.rec_headers.get_header("WARC-Target-URI")
    headers = tuple((k, v) for k, v in record.http_headers.headers if k.lower() not in _ENCODING_HEADERS)
    try:
        body = _decoded_body(record)
    except Exception as exc:  # a bad coding, or a chunked body warcio cannot join
        raise Rejected(RejectReason.BAD_ENCODING, f"{type(exc).__name__}: {exc}"[:300]) from exc
    if len(body) > MAX_BODY:
        raise Rejected(RejectReason.TOO_LARGE, f"more than {MAX_BODY} bytes once decoded")
    return _Response(url, headers, body, _warc_date(record) or datetime.now(UTC))


def _decoded_body(record: Any) -> bytes:
    """At most MAX_BODY + 1 bytes of the body, chunks joined and its content coding undone
    (archive.content_coding: warcio 1.8.1 raised on every brotli body with brotli 1.2, and
    1.8.2 hands it over undecoded)."""
    http = record.http_headers
    chunked = (http.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
    body = ChunkedDataReader(record.raw_stream) if chunked else record.raw_stream
    return decoded(body, content_coding(http.headers), MAX_BODY + 1)


def _content_type(record: Any) -> str:
    found = record.http_headers.get_header("Content-Type") if record.http_headers else None
    return (found or "none").split(";", 1)[0].strip().lower()


def _document_records(
    path: Path, bad: Mapping[int, WarcDamage], on_damage: Callable[[str], None]
) -> dict[str, DocumentCapture]:
    """dedupcrawl's own document records in the file: which pages form one document. (Damaged
    stretches are the main pass's to report; a malformed record is reported here.)"""
    found = {}
    for record in readable_records(path, bad=bad):
        if (
            record.rec_type == "metadata"
            and record.rec_headers.get_header("Content-Type") == DOCUMENT_RECORD
        ):
            try:
                doc = DocumentCapture.from_dict(json.loads(record.content_stream().read()))
            except Exception as exc:  # its pages fall outside every document, and are skipped
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                on_damage(f"{path.name}: document record {record_id}: {type(exc).__name__}: {exc}"[:300])
                continue
            found[doc.doc_url] = doc
    return found


def _canonical_link(body: bytes) -> str | None:
    """The page's own <link rel=canonical> address, if it is one we can archive."""
    found = _CANONICAL.search(body[:200_000])
    if not found:
        return None
    try:
        return canonical_url(found.group(1).decode("utf-8", "replace"))
    except BadUrl:
        return None


def _is_html_response(record: Any) -> bool:
    if record.rec_type != "response" or not record.http_headers:
        return False
    content_type = record.http_headers.get_header("Content-Type") or ""
    return "html" in content_type.lower() and record.http_headers.get_statuscode() == "200"


def _warc_date(record: Any) -> datetime | None:
    value = record.rec_headers.get_header("WARC-Date")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
