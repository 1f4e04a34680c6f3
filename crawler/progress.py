"""A Scrapy extension that writes the crawl's progress to a JSON file twice a second.

The `dedupcrawl crawl` process (the parent) reads it to draw a progress bar: pages fetched,
requests still queued, items handed on. Enabled only when `DC_PROGRESS_FILE` is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

PROGRESS_FILE = "DC_PROGRESS_FILE"
INTERVAL_S = 0.5


class ProgressFile:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.loop = task.LoopingCall(self.write)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressFile:
        path = crawler.settings.get(PROGRESS_FILE)
        if not path:
            raise NotConfigured
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        self.loop.start(INTERVAL_S, now=True)

    def closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.write()

    def write(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.snapshot()), encoding="utf-8")
        os.replace(temporary, self.path)  # the reader never sees half a file

    def snapshot(self) -> dict[str, Any]:
        stats = self.crawler.stats
        get = (lambda key: int(stats.get_value(key, 0) or 0)) if stats else (lambda key: 0)
        return {
            "fetched": get("downloader/response_count"),
            "queued": max(0, get("scheduler/enqueued") - get("scheduler/dequeued")),
            "items": get("item_scraped_count"),
            "documents": get("dedupcrawl/documents"),
        }
