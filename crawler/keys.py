"""The crawler's Redis keys; the same layout as `workers.keys.Keys`, which reads crawl runs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def url_hash(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()  # noqa: S324 - a key, not a secret


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
