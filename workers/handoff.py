"""The crawler's only door into the workers: one RQ ingest job per captured document."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import redis
from rq import Retry

from crawler.capture import DocumentCapture
from workers.keys import Keys
from workers.queues import INGEST, queue

INGEST_FUNCTION = "workers.jobs.ingest_document"
JOB_TIMEOUT_S = 300
RESULT_TTL_S = 24 * 3600
FAILURE_TTL_S = 30 * 24 * 3600
RETRY_MAX = 3
RETRY_INTERVALS = [5, 30, 120]


def ingest_job_id(capture: DocumentCapture) -> str:
    """Deterministic: the document URL and the payload digests of its pages, in order."""
    material = "\n".join((capture.doc_url, *capture.payload_digests)).encode("utf-8")
    return "ingest-" + hashlib.sha1(material).hexdigest()  # noqa: S324 - an id, not a secret


def enqueue_document(connection: redis.Redis, capture: DocumentCapture, key_prefix: str) -> bool:
    """Enqueue `ingest_document(capture.to_dict())` once per content; False if already handed off.

    RQ does not dedupe by job id, so a SET NX guard makes a re-crawl of unchanged content a no-op.
    """
    return enqueue_documents(connection, [capture], key_prefix)[0]


def enqueue_documents(
    connection: redis.Redis, captures: Sequence[DocumentCapture], key_prefix: str
) -> list[bool]:
    """`enqueue_document` for a batch in three round trips; True where a job was enqueued."""
    keys = Keys(key_prefix)
    ids = [ingest_job_id(c) for c in captures]
    guard = connection.pipeline(transaction=False)
    for job_id, capture in zip(ids, captures, strict=True):
        guard.set(keys.handoff(job_id), capture.doc_url, nx=True)
    fresh = [bool(ok) for ok in guard.execute()]
    todo = [(i, c) for i, c, ok in zip(ids, captures, fresh, strict=True) if ok]
    if todo:
        try:
            _enqueue(connection, todo)
        except Exception:
            # Let the next crawl try again rather than lose the documents.
            connection.delete(*(keys.handoff(job_id) for job_id, _ in todo))
            raise
    return fresh


def _enqueue(connection: redis.Redis, todo: list[tuple[str, DocumentCapture]]) -> None:
    ingest = queue(INGEST, connection)
    jobs = [
        ingest.prepare_data(
            INGEST_FUNCTION,
            args=(capture.to_dict(),),
            job_id=job_id,
            timeout=JOB_TIMEOUT_S,
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            retry=Retry(max=RETRY_MAX, interval=RETRY_INTERVALS),
        )
        for job_id, capture in todo
    ]
    with connection.pipeline() as pipe:
        ingest.enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
