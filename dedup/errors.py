"""Named exceptions of the text engine."""

from __future__ import annotations


class DedupError(Exception):
    """Base class for errors raised by the text engine."""


class Rejected(DedupError):
    """An input that cannot become a document; `reason` is a short stable code counted in stats."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ConfigError(DedupError):
    """A configuration record with values the engine cannot work with."""
