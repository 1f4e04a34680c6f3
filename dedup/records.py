"""Records handed from one stage to the next: typed, frozen, each carrying its input's id.

A stage takes one of these and returns a new one; it never mutates its input. Stages that
cannot produce a record raise `dedup.errors.Rejected` with a reason code instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dedup.dates import DateEvidence


@dataclass(frozen=True, slots=True)
class Page:
    """One archived HTTP response as the extract stage receives it."""

    capture_id: str
    url: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    fetched_at: datetime | None = None
    encoding_override: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class Extraction:
    """Main text and metadata pulled out of a page; `extractor` names the path that produced it."""

    capture_id: str
    url: str
    text: str
    title: str | None = None
    published: date | None = None
    author: str | None = None
    site: str | None = None
    extractor: str = "trafilatura"
    encoding: str = "utf-8"
    version: str = ""
    # Every publication date found, strongest evidence first; `published` is the strongest one
    # not before 1990 (the ingest checks them again against the capture time).
    dates: tuple[DateEvidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Removal:
    """A piece of text the normalizer dropped, and why (`spam_line`, `site_chrome`, ...)."""

    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Display text for people, match key for shingling, and the map between them.

    `key_offsets[i]` is the index in `display` of the character that produced `key[i]`.
    `original` is the display text before the traditional→simplified conversion (same length).
    """

    source_id: str
    display: str
    key: str
    key_offsets: tuple[int, ...]
    original: str
    removed: tuple[Removal, ...] = ()
    truncated: bool = False
    norm_version: str = ""
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input that did not become a document: which stage refused it, and why."""

    input_id: str
    url: str
    stage: str
    reason: str
    detail: str = ""
