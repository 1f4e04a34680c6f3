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


class RefusedRequest(CrawlerError):
    """A request the crawler will not send (scheme, private address); `reason` is a code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
