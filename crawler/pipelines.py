"""The only item pipeline: archive the document's page list, hand it off, then remember it."""

from __future__ import annotations

import logging
from typing import Any

import redis

from crawler.items import CrawledDocument
from crawler.services import services_for
from workers.handoff import enqueue_document

logger = logging.getLogger(__name__)


class HandoffPipeline:
    """One RQ ingest job per changed document; the seen store is updated only after the hand-off,
    so a crawl killed in between re-fetches (and re-offers) the document next time."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> HandoffPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, CrawledDocument):
            return item
        services = services_for(self.crawler)
        if not item.changed:
            self._count("skipped_unchanged")
        elif not self._hand_off(item):
            return item
        services.seen.record_many(item.seen)
        return item

    def _hand_off(self, item: CrawledDocument) -> bool:
        services = services_for(self.crawler)
        try:
            services.archive.write_document(item.capture)
            services.archive.flush()  # the ingest job reads these bytes from another process
            queued = enqueue_document(services.redis, item.capture, services.key_prefix)
        except (OSError, redis.RedisError) as exc:
            self._count("failed/handoff_failed")
            logger.error("cannot hand off %s: %s", item.capture.doc_url, exc)
            return False
        self._count("handed_off" if queued else "already_handed_off")
        return True

    def _count(self, name: str) -> None:
        self.crawler.stats.inc_value(f"dedupcrawl/{name}")
