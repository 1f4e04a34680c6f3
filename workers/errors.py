"""Named exceptions of the service shell."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class for errors the CLI turns into a one-line message instead of a traceback."""


class SettingsError(ServiceError):
    """An environment setting is missing, malformed or unusable; the message names the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting


class RedisUnavailable(ServiceError):
    """The Redis server cannot be reached or started."""


class ImportStopped(ServiceError):
    """An import that cannot go on (the archive refused a write); says what was done."""


class NotFound(ServiceError):
    """A document, cluster or crawl run that the caller named does not exist."""


class ConcurrentChange(Exception):
    """Another worker changed the same document meanwhile; the job's retry ingests it again."""


class TextUnavailable(ServiceError):
    """A document's text or alignments cannot be read back from the archive (a file missing,
    truncated or damaged): which document, and what is wrong with its record."""

    def __init__(self, doc_id: str, problem: str) -> None:
        super().__init__(f"the archived text of document {doc_id} is unreadable: {problem}")
        self.doc_id = doc_id
        self.problem = problem
