"""The trace queue: alignment and provenance of documents clustered with the trace deferred
(`dedupcrawl import --defer-trace`, DEDUPCRAWL_DEFER_TRACE), below ingest in every worker's
priority order, so workers drain it when no ingest or crawl job waits.

A trace job carries up to JOB_DOCUMENTS requests, each a document and the content hash it was
clustered with: a document changed or deleted since is not traced (its new text has its own
request). A request that is lost (a process killed between the mark and the enqueue) is made
again by the next ingest of the same content, which finds the document still waiting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from rq import Retry

from crawler.handoff import (
    FAILURE_TTL_S,
    JOB_DOCUMENTS,
    JOB_TIMEOUT_S,
    RESULT_TTL_S,
    RETRY_INTERVALS,
    RETRY_MAX,
)
from crawler.queues import TRACE, queue

TRACE_FUNCTION = "workers.flow.jobs.trace_documents"


@dataclass(frozen=True, slots=True)
class TraceRequest:
    """Trace this document, if it still holds this text and waits for its trace."""

    doc_id: str
    content_hash: str

    def to_list(self) -> list[str]:
        return [self.doc_id, self.content_hash]


def trace_job_id(requests: Sequence[TraceRequest]) -> str:
    """Deterministic: the same requests are the same job (a re-run's enqueue names it again)."""
    material = "\n".join(f"{r.doc_id}:{r.content_hash}" for r in requests).encode("utf-8")
    return "trace-" + hashlib.sha1(material).hexdigest()  # noqa: S324 - an id, not a secret


def enqueue_traces(connection: redis.Redis, requests: Sequence[TraceRequest]) -> int:
    """The requests as trace jobs of at most JOB_DOCUMENTS, in order; returns the job count."""
    trace = queue(TRACE, connection)
    batches = [requests[at : at + JOB_DOCUMENTS] for at in range(0, len(requests), JOB_DOCUMENTS)]
    jobs = [
        trace.prepare_data(
            TRACE_FUNCTION,
            args=([r.to_list() for r in batch],),
            job_id=trace_job_id(batch),
            timeout=JOB_TIMEOUT_S,
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            retry=Retry(max=RETRY_MAX, interval=RETRY_INTERVALS),
        )
        for batch in batches
    ]
    if jobs:
        trace.enqueue_many(jobs)
    return len(jobs)
