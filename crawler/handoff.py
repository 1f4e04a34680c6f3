"""The crawler's only door into the workers: RQ ingest jobs of up to JOB_DOCUMENTS documents.

A job carries several documents because RQ's own bookkeeping costs about 3 ms a job (18 round
trips, measured with a no-op job), a fifth of a whole ingest; the documents of a job are ingested
one after the other, each idempotent, so a retried job repeats nothing that was done.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.job import Job
from rq.queue import EnqueueData

from archive.capture import DocumentCapture
from archive.keys import Keys
from crawler.queues import INGEST, queue

INGEST_FUNCTION = "workers.flow.jobs.ingest_documents"
SINGLE_INGEST_FUNCTION = "workers.flow.jobs.ingest_document"
JOB_DOCUMENTS = 16
JOB_TIMEOUT_S = 300
RESULT_TTL_S = 24 * 3600
FAILURE_TTL_S = 30 * 24 * 3600
RETRY_MAX = 3
RETRY_INTERVALS = [5, 30, 120]


def ingest_job_id(capture: DocumentCapture) -> str:
    """Deterministic: the document URL and the payload digests of its pages, in order."""
    material = "\n".join((capture.doc_url, *capture.payload_digests)).encode("utf-8")
    return "ingest-" + hashlib.sha1(material).hexdigest()  # noqa: S324 - an id, not a secret


def batch_job_id(document_ids: Sequence[str]) -> str:
    """A lone document's job keeps the document's id; a batch's id is derived from its members'."""
    if len(document_ids) == 1:
        return document_ids[0]
    material = "\n".join(document_ids).encode("utf-8")
    return "ingest-batch-" + hashlib.sha1(material).hexdigest()  # noqa: S324 - an id, not a secret


def job_batches(captures: Sequence[DocumentCapture]) -> list[tuple[str, list[DocumentCapture]]]:
    """The captures cut into jobs of at most JOB_DOCUMENTS, in order, each with its job id."""
    batches = []
    for start in range(0, len(captures), JOB_DOCUMENTS):
        batch = list(captures[start : start + JOB_DOCUMENTS])
        batches.append((batch_job_id([ingest_job_id(c) for c in batch]), batch))
    return batches


def captures_of(job: Job) -> list[DocumentCapture]:
    """The documents of an ingest job (a batch, or a single-document job enqueued before batches)."""
    if job.func_name == INGEST_FUNCTION and job.args:
        return [DocumentCapture.from_dict(capture) for capture in job.args[0]]
    if job.func_name == SINGLE_INGEST_FUNCTION and job.args:
        return [DocumentCapture.from_dict(job.args[0])]
    return []


def enqueue_document(connection: redis.Redis, capture: DocumentCapture, key_prefix: str) -> bool:
    """Enqueue the capture's ingest once per content; False if already handed off.

    RQ does not dedupe by job id, so a guard key per job id makes a re-crawl of unchanged content
    a no-op.
    """
    return enqueue_documents(connection, [capture], key_prefix)[0]


def enqueue_documents(
    connection: redis.Redis, captures: Sequence[DocumentCapture], key_prefix: str
) -> list[bool]:
    """`enqueue_document` for a batch; True where the document was enqueued.

    The guards and the jobs are written in one transaction (MULTI/EXEC, watching the guards):
    a crawl killed before EXEC leaves neither, so its next run hands the documents off again.
    """
    if not captures:
        return []
    guards = [Keys(key_prefix).handoff(ingest_job_id(c)) for c in captures]
    with connection.pipeline() as pipe:
        while True:
            try:
                return _guarded_enqueue(connection, pipe, guards, captures)
            except redis.WatchError:  # another crawl handed one of them off meanwhile: look again
                continue


def _guarded_enqueue(
    connection: redis.Redis,
    pipe: Pipeline,
    guards: list[str],
    captures: Sequence[DocumentCapture],
) -> list[bool]:
    pipe.watch(*guards)
    taken = {guard for guard, value in zip(guards, pipe.mget(guards), strict=True) if value is not None}
    fresh = []
    for guard in guards:  # a document twice in one batch is enqueued once
        fresh.append(guard not in taken)
        taken.add(guard)
    pipe.multi()
    todo = [c for c, ok in zip(captures, fresh, strict=True) if ok]
    for guard, capture, ok in zip(guards, captures, fresh, strict=True):
        if ok:
            pipe.set(guard, capture.doc_url)
    if todo:
        _enqueue(connection, pipe, todo)
    try:
        pipe.execute()
    except redis.ResponseError:
        # A command failed inside EXEC and Redis applied the others: release this batch's guards,
        # so the next crawl tries again rather than lose the documents.
        connection.delete(*(guard for guard, ok in zip(guards, fresh, strict=True) if ok))
        raise
    return fresh


def _enqueue(connection: redis.Redis, pipe: Pipeline, todo: list[DocumentCapture]) -> None:
    ingest = queue(INGEST, connection)
    jobs = [job_data(ingest, job_id, batch) for job_id, batch in job_batches(todo)]
    ingest.enqueue_many(jobs, pipeline=pipe)


def enqueue_alone(ingest: Queue, captures: Sequence[DocumentCapture], retries: int) -> None:
    """Each capture in a job of its own (the documents of a batch whose worker died: any of them
    may be what killed it)."""
    ingest.enqueue_many([job_data(ingest, ingest_job_id(c), [c], retries) for c in captures])


def job_data(
    ingest: Queue, job_id: str, batch: Sequence[DocumentCapture], retries: int = RETRY_MAX
) -> EnqueueData:
    return ingest.prepare_data(
        INGEST_FUNCTION,
        args=([capture.to_dict() for capture in batch],),
        job_id=job_id,
        timeout=JOB_TIMEOUT_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        retry=Retry(max=retries, interval=RETRY_INTERVALS),
    )
