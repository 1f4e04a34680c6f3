"""Named exceptions of the crawler."""

from __future__ import annotations


class CrawlerError(Exception):
    """Base class for errors raised by the crawler."""


class SitesConfigError(CrawlerError):
    """The sites file is missing, unreadable or invalid; the message names site and field."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class UnknownSite(CrawlerError):
    """A crawl was asked for a site the sites file does not declare."""


class WarcReadError(CrawlerError):
    """A WARC record cannot be read back: missing file, truncated or corrupt data."""


class WarcDamage(WarcReadError):
    """A damaged stretch of a WARC file: what went wrong at byte `offset` of `warc_file`, and
    where reading resumed (None: nothing readable after it)."""

    def __init__(self, warc_file: str, offset: int, resumed_at: int | None, problem: str) -> None:
        after = f"resumed at byte {resumed_at}" if resumed_at is not None else "nothing readable after it"
        shown = "".join(c if " " <= c <= "~" else "?" for c in problem[:200])  # warcio quotes raw bytes
        super().__init__(f"{warc_file}@{offset}: {shown}; {after}")
        self.warc_file = warc_file
        self.offset = offset
        self.resumed_at = resumed_at


class DigestMismatch(WarcReadError):
    """A WARC record's payload does not match its WARC-Payload-Digest."""


class RefusedRequest(CrawlerError):
    """A request the crawler will not send (scheme, private address); `reason` is a code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class BadUrl(CrawlerError):
    """A document address that is not an http(s) URL or IRI we can archive; `problem` says why."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url[:200]!r}: {problem}")
        self.url = url
        self.problem = problem


class ArchiveWriteError(CrawlerError, OSError):
    """The disk refused a WARC write (full, file too large); the file keeps only whole records."""

    def __init__(self, warc_file: str, cause: OSError) -> None:
        problem = cause.strerror or str(cause)
        super().__init__(cause.errno, f"cannot write the WARC archive ({warc_file}): {problem}")

    def __str__(self) -> str:
        return str(self.strerror)


class UnsafeWarcHeader(CrawlerError):
    """A WARC header value that is not printable ASCII (a CR/LF would inject headers)."""
