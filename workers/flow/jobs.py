"""RQ job functions, referenced by dotted path (`workers.flow.jobs.ingest_documents`).

`dedupcrawl worker` builds one Ingestor before it starts working, so every forked job finds it
ready; a worker started some other way (plain `rq worker`) builds it from the settings once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypeVar

from rq import get_current_job

from archive.capture import DocumentCapture
from crawler.queues import INGEST, queue
from dedup.reasons import RunStatus
from workers.errors import ServiceError
from workers.flow.crawls import CrawlBusy, run_crawl
from workers.flow.ingest import Ingestor
from workers.flow.relink import settle
from workers.flow.trace_queue import TraceRequest
from workers.redis.connection import Connections, connection_url, index_of
from workers.settings import Settings, load_settings
from workers.stores.store_set import stores_of

T = TypeVar("T")
_ingestor: Ingestor | None = None
_settings: Settings | None = None


def configure(ingestor: Ingestor | None, settings: Settings | None = None) -> None:
    """The worker process's ingestor and settings, built before it forks (None: on first use)."""
    global _ingestor, _settings
    _ingestor, _settings = ingestor, settings


def process_settings() -> Settings:
    """The settings of this worker process: the configured ones, else read once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def ingest_documents(captures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Crawled or imported documents through the whole pipeline, in order; their Outcomes.

    A document that raises does not stop the others: the first error is raised once all were
    tried, so RQ retries the job, and the documents done are no-ops then.
    """
    ingestor = _current_ingestor()
    results = ingestor.ingest_many([DocumentCapture.from_dict(c) for c in captures])
    _settle_when_drained(ingestor)
    return [dataclasses.asdict(outcome) for outcome in _all_done(results)]


def ingest_document(capture: dict[str, Any]) -> dict[str, Any]:
    """One document; also the job function of single-document jobs enqueued before batches."""
    ingestor = _current_ingestor()
    outcome = ingestor.ingest_capture(DocumentCapture.from_dict(capture))
    ingestor.flush_traces()
    _settle_when_drained(ingestor)
    return dataclasses.asdict(outcome)


def trace_documents(requests: list[list[str]]) -> list[str]:
    """Deferred traces (workers.flow.trace_queue), in order: `traced` or `stale` each. A document
    that raises does not stop the others: the first error is raised once all were tried, so RQ
    retries the job (the traces done are then stale: a no-op)."""
    results = _current_ingestor().trace_many([TraceRequest(doc_id, hashed) for doc_id, hashed in requests])
    return list(_all_done(results))


def _all_done(results: list[T | Exception]) -> list[T]:
    """The results, or the first exception among them raised (RQ retries the job)."""
    errors = [result for result in results if isinstance(result, Exception)]
    if errors:
        raise errors[0]
    return [result for result in results if not isinstance(result, Exception)]


def crawl_site(site: str, sites_file: str) -> dict[str, Any]:
    """A scheduled crawl, in its own process; skipped while another crawl of the site runs."""
    job = get_current_job()
    if job is None:
        raise ServiceError("crawl_site runs inside an RQ job")
    settings = process_settings()
    url = connection_url(job.connection, settings)
    try:
        return run_crawl(site, Path(sites_file), url, settings, run_id=job.id)
    except CrawlBusy as busy:
        return {"site": site, "status": RunStatus.SKIPPED, "verdict": busy.verdict}


def _settle_when_drained(ingestor: Ingestor) -> None:
    """Pending pair links aligned once no ingest job waits (workers.flow.relink): a burst of
    arrivals costs each document its earliest neighbours' alignments once, not at each arrival."""
    if queue(INGEST, ingestor.queues).count == 0:
        settle(ingestor.store, ingestor.config.align)


def build_ingestor(connections: Connections, settings: Settings, defer_trace: bool | None = None) -> Ingestor:
    """`defer_trace`: as given, else the setting (DEDUPCRAWL_DEFER_TRACE)."""
    defer = settings.defer_trace if defer_trace is None else defer_trace
    return Ingestor(stores_of(connections, settings), settings.archive, defer_trace=defer)


def _current_ingestor() -> Ingestor:
    if _ingestor is not None:
        return _ingestor
    job = get_current_job()
    if job is None:
        raise ServiceError("ingest_document runs inside an RQ job or after jobs.configure()")
    settings = process_settings()
    connections = Connections(job.connection, index_of(job.connection, settings))
    configure(build_ingestor(connections, settings), settings)
    return _current_ingestor()
