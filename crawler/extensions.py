"""Records each crawl as a run in Redis (start, end, stats, verdict) — for `scrapy crawl` too."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals

from crawler.runs import CrawlRun
from crawler.services import services_for

logger = logging.getLogger(__name__)


class CrawlRunRecorder:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.run: CrawlRun | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.closed, signal=signals.spider_closed)
        return recorder

    def opened(self, spider: Any) -> None:
        services = services_for(self.crawler)
        self.run = services.runs.start(services.run_id, services.site.name)
        self.crawler.stats.set_value("dedupcrawl/run_id", services.run_id)

    def closed(self, spider: Any, reason: str) -> None:
        services = services_for(self.crawler)
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        if self.run is not None:
            done = services.runs.finish(self.run, stats)
            logger.info("crawl run %s %s (%s)", done.run_id, done.status, done.verdict)
        services.close()
