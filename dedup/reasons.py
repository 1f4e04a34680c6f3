"""The codes the service records, in one place: why an input was rejected, what one ingest did,
the state of a stored document and of a crawl run.

StrEnums, so each is stored, counted and compared as the string it always was ("too_short",
"indexed", ...); stats and stored records written before keep their meaning.
"""

from __future__ import annotations

from enum import StrEnum


class RejectReason(StrEnum):
    """Why a page, a capture, an import record or a job's document did not become a document."""

    # the body and its text (dedup.decode, dedup.extract, dedup.normalize, dedup.fingerprint)
    EMPTY_BODY = "empty_body"
    BINARY = "binary"
    EXTRACT_FAILED = "extract_failed"
    TOO_LARGE = "too_large"  # HTML over the extractor's cap; an import's file, line or payload over MAX_BODY
    NO_MAIN_TEXT = "no_main_text"
    TOO_SHORT = "too_short"  # too little text left, or too few shingles to fingerprint
    BAD_KEY = "bad_key"
    # the capture and the archive (workers.flow.ingest, dedupcrawl reindex)
    NO_PAGES = "no_pages"
    UNREADABLE_CAPTURE = "unreadable_capture"
    UNREADABLE_WARC = "unreadable_warc"  # a damaged stretch of a WARC file
    UNREADABLE_TEXT = "unreadable_text"  # a document's archived text or alignments (file missing, damaged)
    # the job (workers.flow.recovery)
    WORKER_LOST = "worker_lost"  # the worker died in the middle of the job every time it ran
    # imports (workers.flow.imports): a line, file or WARC record
    BAD_JSON = "bad_json"  # not JSON (cut off, not UTF-8, nested too deep)
    BAD_RECORD = "bad_record"  # JSON, but not an object
    BAD_URL = "bad_url"  # no http(s) URL or IRI we can archive
    BAD_TEXT = "bad_text"  # a string that is no text (a lone surrogate such as "\\ud800")
    NO_CONTENT = "no_content"  # neither `text` nor `html`
    BAD_ENCODING = "bad_encoding"  # a WARC payload whose content encoding does not decode
    NOT_HTML = "not_html"  # WARC responses that are no HTML (counted by type, one rejection)
    INCOMPLETE_DOCUMENT = "incomplete_document"  # a document some of whose pages were lost
    SYMLINK = "symlink"  # a symbolic link in an imported folder: never followed
    NOT_REGULAR_FILE = "not_regular_file"  # a FIFO, device or socket in an imported folder
    UNREADABLE_FILE = "unreadable_file"  # a page file the operating system would not open
    IMPORT_FAILED = "import_failed"  # anything else wrong with one record (its detail says what)


class IngestStatus(StrEnum):
    """What one ingest of a capture did (workers.flow.ingest.Outcome.status, the `outcome` counters)."""

    INDEXED = "indexed"
    UNCHANGED = "unchanged"  # the same text is stored and indexed already
    REJECTED = "rejected"
    DELETED = "deleted"  # captured before the document was deleted: kept out


class TraceStatus(StrEnum):
    """What a deferred trace job did with one request."""

    TRACED = "traced"
    STALE = "stale"  # the document changed, went or was traced since it was requested
    UNREADABLE = "unreadable_text"  # its archived text cannot be read: it stays untraced (reindex)


class DocumentState(StrEnum):
    """A stored document: saved and waiting for its indexes, or indexed."""

    PENDING = "pending"
    INDEXED = "indexed"


class RunStatus(StrEnum):
    """A crawl run (crawler.runs.CrawlRun.status)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # a scheduled crawl's answer while another crawl of the site runs (no run kept)
