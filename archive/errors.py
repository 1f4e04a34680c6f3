"""Named exceptions of the archive: WARC writing and reading, damaged records, URLs."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class for errors raised by the archive."""


class WarcReadError(ArchiveError):
    """A WARC record cannot be read back: missing file, truncated or corrupt data."""


class BadContentCoding(ArchiveError):
    """A body whose Content-Encoding (gzip, deflate, br) does not decode."""


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


class BadUrl(ArchiveError):
    """A document address that is not an http(s) URL or IRI we can archive; `problem` says why."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url[:200]!r}: {problem}")
        self.url = url
        self.problem = problem


class ArchiveWriteError(ArchiveError, OSError):
    """The disk refused a WARC write (full, file too large); the file keeps only whole records."""

    def __init__(self, warc_file: str, cause: OSError) -> None:
        problem = cause.strerror or str(cause)
        super().__init__(cause.errno, f"cannot write the WARC archive ({warc_file}): {problem}")

    def __str__(self) -> str:
        return str(self.strerror)


class UnsafeWarcHeader(ArchiveError):
    """A WARC header value that is not printable ASCII (a CR/LF would inject headers)."""
