"""What the crawler hands off: where each archived page lives and which pages form a document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

CAPTURE_VERSION = "capture-1"


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """One WARC response record: file relative to the WARC directory, byte offset and length."""

    capture_id: str
    url: str
    warc_file: str
    offset: int
    length: int
    payload_digest: str
    fetched_at: datetime
    status: int
    site: str
    encoding_override: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "capture_id": self.capture_id,
            "url": self.url,
            "warc_file": self.warc_file,
            "offset": self.offset,
            "length": self.length,
            "payload_digest": self.payload_digest,
            "fetched_at": self.fetched_at.isoformat(),
            "status": self.status,
            "site": self.site,
            "encoding_override": self.encoding_override,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaptureRef:
        return cls(
            capture_id=str(data["capture_id"]),
            url=str(data["url"]),
            warc_file=str(data["warc_file"]),
            offset=int(data["offset"]),
            length=int(data["length"]),
            payload_digest=str(data["payload_digest"]),
            fetched_at=datetime.fromisoformat(str(data["fetched_at"])),
            status=int(data["status"]),
            site=str(data["site"]),
            encoding_override=data.get("encoding_override") or None,
        )


@dataclass(frozen=True, slots=True)
class DocumentCapture:
    """One document as crawled: all its pages in reading order (a multi-page document is one)."""

    doc_url: str
    site: str
    site_kind: str
    pages: tuple[CaptureRef, ...]
    version: str = CAPTURE_VERSION

    @property
    def payload_digests(self) -> tuple[str, ...]:
        return tuple(page.payload_digest for page in self.pages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_url": self.doc_url,
            "site": self.site,
            "site_kind": self.site_kind,
            "pages": [page.to_dict() for page in self.pages],
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentCapture:
        return cls(
            doc_url=str(data["doc_url"]),
            site=str(data["site"]),
            site_kind=str(data["site_kind"]),
            pages=tuple(CaptureRef.from_dict(page) for page in data["pages"]),
            version=str(data.get("version", CAPTURE_VERSION)),
        )
