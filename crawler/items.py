"""The item the spiders yield: one document, whether its content changed, and its pages' state."""

from __future__ import annotations

from dataclasses import dataclass

from archive.capture import DocumentCapture
from crawler.seen import SeenEntry


@dataclass(frozen=True, slots=True)
class CrawledDocument:
    capture: DocumentCapture
    changed: bool
    seen: tuple[SeenEntry, ...]
    expected_pages: int | None = None

    @property
    def truncated(self) -> bool:
        return self.expected_pages is not None and self.expected_pages > len(self.capture.pages)
