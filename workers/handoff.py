"""The crawler's only door into the workers: one RQ ingest job per captured document."""

from __future__ import annotations

import hashlib

import redis
from rq import Retry

from crawler.capture import DocumentCapture
from workers.keys import Keys
from workers.queues import INGEST, queue

INGEST_FUNCTION = "workers.jobs.ingest_document"
JOB_TIMEOUT_S = 300
RESULT_TTL_S = 24 * 3600
FAILURE_TTL_S = 30 * 24 * 3600
RETRY = (3, [5, 30, 120])


def ingest_job_id(capture: DocumentCapture) -> str:
    """Deterministic: the document URL and the payload digests of its pages, in order."""
    material = "\n".join((capture.doc_url, *capture.payload_digests)).encode("utf-8")
    return "ingest-" + hashlib.sha1(material).hexdigest()  # noqa: S324 - an id, not a secret


def enqueue_document(connection: redis.Redis, capture: DocumentCapture, key_prefix: str) -> bool:
    """Enqueue `ingest_document(capture.to_dict())` once per content; False if already handed off.

    RQ does not dedupe by job id, so a SET NX guard makes a re-crawl of unchanged content a no-op.
    """
    job_id = ingest_job_id(capture)
    guard = Keys(key_prefix).handoff(job_id)
    if not connection.set(guard, capture.doc_url, nx=True):
        return False
    try:
        queue(INGEST, connection).enqueue(
            INGEST_FUNCTION,
            capture.to_dict(),
            job_id=job_id,
            job_timeout=JOB_TIMEOUT_S,
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            retry=Retry(max=RETRY[0], interval=RETRY[1]),
        )
    except Exception:
        connection.delete(guard)  # let the next crawl try again rather than lose the document
        raise
    return True
