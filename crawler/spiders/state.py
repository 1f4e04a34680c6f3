"""What a spider carries from page to page of one document."""

from __future__ import annotations

from dataclasses import dataclass, replace

from archive.capture import CaptureRef, DocumentCapture
from crawler.seen import SeenEntry


@dataclass(frozen=True, slots=True)
class PageResult:
    url: str
    ref: CaptureRef
    changed: bool
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class DocState:
    """`link` is the canonical URL we were sent to (the seen key); `doc_url` where page 1 landed."""

    link: str
    number: int = 1
    doc_url: str = ""
    pages: tuple[PageResult, ...] = ()
    expected: int | None = None
    known_pages: tuple[str, ...] = ()
    known_seen: tuple[SeenEntry, ...] = ()

    def add(self, page: PageResult, doc_url: str) -> DocState:
        return replace(self, pages=(*self.pages, page), doc_url=self.doc_url or doc_url)

    def advance(self) -> DocState:
        return replace(self, number=self.number + 1)

    def seen_of(self, url: str) -> SeenEntry | None:
        return next((entry for entry in self.known_seen if entry.url == url), None)

    @property
    def page_urls(self) -> tuple[str, ...]:
        return tuple(p.url for p in self.pages)

    @property
    def changed(self) -> bool:
        layout_changed = bool(self.known_pages) and self.known_pages != self.page_urls
        return layout_changed or any(p.changed for p in self.pages)

    def capture(self, site: str, kind: str) -> DocumentCapture:
        return DocumentCapture(self.doc_url, site, kind, tuple(p.ref for p in self.pages))

    def seen_entries(self, now: float) -> tuple[SeenEntry, ...]:
        return tuple(
            SeenEntry(
                url=page.url,
                fetched_at=now,
                payload_digest=page.ref.payload_digest,
                etag=page.etag,
                last_modified=page.last_modified,
                capture=page.ref,
                pages=self.page_urls if index == 0 else (),
            )
            for index, page in enumerate(self.pages)
        )
