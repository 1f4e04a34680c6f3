"""RQ job functions, referenced by dotted path (`workers.jobs.ingest_documents`).

`dedupcrawl worker` builds one Ingestor before it starts working, so every forked job finds it
ready; a worker started some other way (plain `rq worker`) builds it from the settings once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import redis
from rq import get_current_job

from crawler.capture import DocumentCapture
from workers.connection import connection_url
from workers.crawls import CrawlBusy, run_crawl
from workers.errors import ServiceError
from workers.ingest import Ingestor
from workers.keys import Keys
from workers.queues import INGEST, queue
from workers.relink import settle
from workers.settings import load_settings

_ingestor: Ingestor | None = None


def configure(ingestor: Ingestor | None) -> None:
    global _ingestor
    _ingestor = ingestor


def ingest_documents(captures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Crawled or imported documents through the whole pipeline, in order; their Outcomes.

    A document that raises does not stop the others: the first error is raised once all were
    tried, so RQ retries the job, and the documents done are no-ops then.
    """
    ingestor = _current_ingestor()
    results = ingestor.ingest_many([DocumentCapture.from_dict(c) for c in captures])
    _settle_when_drained(ingestor)
    errors = [result for result in results if isinstance(result, Exception)]
    if errors:
        raise errors[0]
    return [dataclasses.asdict(result) for result in results if not isinstance(result, Exception)]


def ingest_document(capture: dict[str, Any]) -> dict[str, Any]:
    """One document; also the job function of single-document jobs enqueued before batches."""
    ingestor = _current_ingestor()
    outcome = ingestor.ingest_capture(DocumentCapture.from_dict(capture))
    _settle_when_drained(ingestor)
    return dataclasses.asdict(outcome)


def crawl_site(site: str, sites_file: str) -> dict[str, Any]:
    """A scheduled crawl, in its own process; skipped while another crawl of the site runs."""
    job = get_current_job()
    if job is None:
        raise ServiceError("crawl_site runs inside an RQ job")
    settings = load_settings()
    url = connection_url(job.connection, settings)
    try:
        return run_crawl(site, Path(sites_file), url, settings, run_id=job.id)
    except CrawlBusy as busy:
        return {"site": site, "status": "skipped", "verdict": busy.verdict}


def _settle_when_drained(ingestor: Ingestor) -> None:
    """Pending pair links aligned once no ingest job waits (workers.relink): a burst of
    arrivals costs each document its earliest neighbours' alignments once, not at each arrival."""
    if queue(INGEST, ingestor.connection).count == 0:
        settle(ingestor.store, ingestor.config.align)


def build_ingestor(connection: redis.Redis) -> Ingestor:
    settings = load_settings()
    return Ingestor(connection, Keys(settings.key_prefix), settings.warc_dir)


def _current_ingestor() -> Ingestor:
    if _ingestor is not None:
        return _ingestor
    job = get_current_job()
    if job is None:
        raise ServiceError("ingest_document runs inside an RQ job or after jobs.configure()")
    configure(build_ingestor(job.connection))
    return _current_ingestor()
