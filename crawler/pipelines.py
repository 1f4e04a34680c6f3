"""The only item pipeline: archive each document's page list, hand it off, then remember it."""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from twisted.internet import task

from crawler.handoff import enqueue_documents
from crawler.items import CrawledDocument
from crawler.services import services_for

logger = logging.getLogger(__name__)

# Documents are handed off in small batches (a few Redis round trips per batch, not per
# document); a batch waits about this long at most for company (checked as items arrive and on
# a timer, so a slow crawl's documents do not wait for the next one).
BATCH_SIZE = 32
BATCH_MAX_WAIT_S = 1.0


class HandoffPipeline:
    """One RQ ingest job per changed document. The seen store is written only after the
    hand-off, so a crawl killed in between re-fetches (and re-offers) the document next time."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._pending: list[CrawledDocument] = []
        self._last_flush = time.monotonic()
        self._timer = task.LoopingCall(self._flush_if_waited)

    @classmethod
    def from_crawler(cls, crawler: Any) -> HandoffPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, CrawledDocument):
            return item
        self._pending.append(item)
        waited = time.monotonic() - self._last_flush
        if len(self._pending) >= BATCH_SIZE or waited >= BATCH_MAX_WAIT_S:
            self.flush()
        return item

    def open_spider(self) -> None:
        self._timer.start(BATCH_MAX_WAIT_S, now=False)

    def close_spider(self) -> None:
        if self._timer.running:
            self._timer.stop()
        self.flush()
        self._archived()
        self._count_captures()

    def _count_captures(self) -> None:
        """The run's `captures` are the records on disk, and `capture_failed` those the disk
        refused (full, file too large): the archive's counts replace the ones kept while
        records waited in its buffer."""
        archive = services_for(self.crawler).archive
        self.crawler.stats.set_value("dedupcrawl/captures", archive.captures_written)
        self.crawler.stats.set_value("dedupcrawl/failed/capture_failed", archive.captures_lost)

    def _flush_if_waited(self) -> None:
        if not self._pending or time.monotonic() - self._last_flush < BATCH_MAX_WAIT_S:
            return
        try:
            self.flush()
        except redis.RedisError as exc:  # the seen store: these documents are fetched again next time
            logger.error("cannot record the seen pages: %s", exc)

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        self._last_flush = time.monotonic()
        if not batch:
            return
        changed = [item for item in batch if item.changed]
        self._count("skipped_unchanged", len(batch) - len(changed))
        done = batch if not changed or self._hand_off(changed) else [i for i in batch if not i.changed]
        if self._archived():  # seen entries may point at captures of this crawl
            services_for(self.crawler).seen.record_many(e for item in done for e in item.seen)

    def _hand_off(self, items: list[CrawledDocument]) -> bool:
        services = services_for(self.crawler)
        try:
            for item in items:
                services.archive.write_document(item.capture)
            services.archive.sync()  # the ingest job reads these bytes from another process, maybe host
            queued = enqueue_documents(services.redis, [i.capture for i in items], services.key_prefix)
        except (OSError, redis.RedisError) as exc:
            self._count("failed/handoff_failed", len(items))
            logger.error("cannot hand off %d documents: %s", len(items), exc)
            return False
        self._count("handed_off", sum(queued))
        self._count("already_handed_off", len(queued) - sum(queued))
        return True

    def _archived(self) -> bool:
        try:
            services_for(self.crawler).archive.flush()
        except OSError as exc:
            logger.error("cannot write the WARC archive: %s", exc)
            return False
        return True

    def _count(self, name: str, count: int) -> None:
        if count:
            self.crawler.stats.inc_value(f"dedupcrawl/{name}", count)
