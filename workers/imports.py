"""Documents that were not crawled: JSON Lines, saved HTML pages and foreign WARC files.

Each imported document is first written into our own WARC archive (JSON Lines records as
they were given, HTML and foreign responses as response records), with a document record,
so `reindex` rebuilds imports exactly like crawled pages.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.capture import DocumentCapture
from crawler.errors import WarcDamage
from crawler.warc import (
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
from dedup.records import Extraction, Page, Rejection

IMPORT_RECORD = "application/vnd.dedupcrawl.import+json"
IMPORT_KIND = "import"
MAX_BODY = 10 * 1024 * 1024  # as the crawler's DOWNLOAD_MAXSIZE: a decompression bomb stops here
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
        except (ValueError, UnicodeDecodeError) as exc:
            raise Rejected("bad_json", str(exc)[:200]) from exc
        if not isinstance(data, dict):
            raise Rejected("bad_record", f"expected an object, got {type(data).__name__}")
        return cls._checked(data)

    @classmethod
    def _checked(cls, data: dict[str, Any]) -> ImportRecord:
        url, text, html = data.get("url"), data.get("text"), data.get("html")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise Rejected("bad_url", f"url must be an http(s) URL, got {url!r}"[:200])
        if not isinstance(text, str) and not isinstance(html, str):
            raise Rejected("no_content", "a record needs `text` or `html` (a string)")
        title = data.get("title")
        return cls(
            url=url,
            text=text if isinstance(text, str) else None,
            html=html if isinstance(html, str) else None,
            title=title if isinstance(title, str) else None,
            published=_published(data.get("published")),
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


def _published(value: object) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return parse_date(value)


class Importer:
    """Archives imported documents and yields one DocumentCapture (or a Rejection) each."""

    def __init__(self, archive: WarcArchive) -> None:
        self.archive = archive

    def jsonl(self, path: Path) -> Iterator[DocumentCapture | Rejection]:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield self._jsonl_line(line, f"import:{path.name}:{number}")

    def _jsonl_line(self, line: bytes, input_id: str) -> DocumentCapture | Rejection:
        try:
            record = ImportRecord.from_json(line)
        except Rejected as rejected:
            return Rejection(input_id, "", "import", rejected.reason, rejected.detail)
        headers = (("Content-Type", IMPORT_RECORD),)
        return self._archive(record.url, headers, record.to_json())

    def html_folder(self, folder: Path) -> Iterator[DocumentCapture | Rejection]:
        for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".html", ".htm")):
            body = path.read_bytes()
            url = _canonical(body) or f"https://import.invalid/{path.relative_to(folder).as_posix()}"
            yield self._archive(url, (("Content-Type", "text/html"),), body)

    def warc(self, path: Path) -> Iterator[DocumentCapture | Rejection]:
        """HTML responses of a foreign WARC file, one document each; from a dedupcrawl archive,
        the documents its document records name (pages grouped). Each damaged stretch is
        reported, and reading resumes after it."""
        damage: list[str] = []
        try:
            bad = damaged_members(path)  # read by both passes
            grouped = _document_records(path, bad, damage.append)
            yield from self._warc_documents(path, grouped, bad, lambda found: damage.append(str(found)))
        except Exception as exc:  # a record warcio parsed that still trips the reading: the rest
            damage.append(f"{type(exc).__name__}: {exc}"[:300])
        for number, problem in enumerate(damage, 1):
            yield Rejection(f"import:{path.name}:damage{number}", "", "import", "unreadable_warc", problem)

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
            try:
                response = _response(record)
            except Rejected as rejected:
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                input_id = f"import:{path.name}:{url}"
                yield Rejection(input_id, url, "import", rejected.reason, rejected.detail)
                continue
            doc = page_of.get(response.url)
            if doc is None and grouped:
                continue  # our own archive: responses outside a document are list pages
            if doc is None:
                yield self._archive(response.url, response.headers, response.body, response.date)
                continue
            pages = waiting.setdefault(doc.doc_url, {})
            pages[response.url] = response
            if len(pages) == len(doc.pages):
                yield self._archive_pages(doc, [pages[p.url] for p in doc.pages])
                del waiting[doc.doc_url]
                done.add(doc.doc_url)
        for doc in grouped.values():  # pages lost to damage, or archived in another file
            if doc.doc_url not in done:
                found = f"{len(waiting.get(doc.doc_url, {}))} of {len(doc.pages)} pages in {path.name}"
                input_id = f"import:{path.name}:{doc.doc_url}"
                yield Rejection(input_id, doc.doc_url, "import", "incomplete_document", found)
        if +skipped:  # counted, not one rejection per image or stylesheet
            kinds = ", ".join(f"{kind} {n}" for kind, n in (+skipped).most_common())
            yield Rejection(f"import:{path.name}:not_html", "", "import", "not_html", kinds[:500])

    def _archive_pages(self, doc: DocumentCapture, responses: list[_Response]) -> DocumentCapture:
        refs = []
        for response in responses:
            exchange = Exchange(
                response.url, "GET", (), 200, "OK", response.headers, response.body, response.date
            )
            refs.append(capture_ref(self.archive.write_exchange(exchange), exchange, doc.site, None))
        capture = DocumentCapture(doc.doc_url, doc.site, doc.site_kind, tuple(refs))
        self.archive.write_document(capture)
        return capture

    def _archive(
        self, url: str, headers: tuple[tuple[str, str], ...], body: bytes, when: datetime | None = None
    ) -> DocumentCapture:
        fetched = when or datetime.now(UTC)
        exchange = Exchange(url, "GET", (), 200, "OK", headers, body, fetched)
        written = self.archive.write_exchange(exchange)
        site = urlsplit(url).hostname or IMPORT_KIND
        ref = capture_ref(written, exchange, site, None)
        capture = DocumentCapture(doc_url=url, site=site, site_kind=IMPORT_KIND, pages=(ref,))
        self.archive.write_document(capture)
        return capture


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
        body = record.content_stream().read(MAX_BODY + 1)
    except Exception as exc:  # warcio's decoders raise many kinds on bad encodings
        raise Rejected("bad_encoding", f"{type(exc).__name__}: {exc}"[:300]) from exc
    if len(body) > MAX_BODY:
        raise Rejected("too_large", f"more than {MAX_BODY} bytes once decoded")
    return _Response(url, headers, body, _warc_date(record) or datetime.now(UTC))


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


def _canonical(body: bytes) -> str | None:
    found = _CANONICAL.search(body[:200_000])
    if not found:
        return None
    url = found.group(1).decode("utf-8", "replace")
    return url if urlsplit(url).scheme in ("http", "https") else None


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
