"""The crawler's Redis keys; the same layout as `workers.keys.Keys`, which reads crawl runs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from crawler.urls import matching_url


def url_hash(url: str) -> str:
    """The key of a URL: every spelling of one address (IRI or URI, `HTTP://`) has the same."""
    return hashlib.sha1(matching_url(url).encode("utf-8")).hexdigest()  # noqa: S324 - a key, not a secret


@dataclass(frozen=True, slots=True)
class CrawlKeys:
    prefix: str = "dc"

    def seen(self, url: str) -> str:
        return f"{self.prefix}:seen:{url_hash(url)}"

    def crawl(self, run_id: str) -> str:
        return f"{self.prefix}:crawl:{run_id}"

    @property
    def crawls(self) -> str:
        return f"{self.prefix}:crawls"
