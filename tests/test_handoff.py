"""workers.handoff against a real redis-server: one RQ ingest job per document content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from rq import Queue
from rq.job import Job

from crawler.capture import CaptureRef, DocumentCapture
from workers.handoff import enqueue_document, enqueue_documents, ingest_job_id
from workers.queues import INGEST


def _capture(
    url: str = "http://site.test/doc/1.html", digests: tuple[str, ...] = ("sha1:AAAA", "sha1:BBBB")
) -> DocumentCapture:
    pages = tuple(
        CaptureRef(
            capture_id=f"c{i}",
            url=url if i == 0 else url.replace(".html", f"_{i + 1}.html"),
            warc_file="site/run-00001.warc.gz",
            offset=100 * i,
            length=90,
            payload_digest=digest,
            fetched_at=datetime(2024, 5, 1, tzinfo=UTC),
            status=200,
            site="site",
        )
        for i, digest in enumerate(digests)
    )
    return DocumentCapture(doc_url=url, site="site", site_kind="docshare", pages=pages)


def test_one_job_with_the_capture_as_its_only_argument(redis_client: redis.Redis) -> None:
    capture = _capture()
    assert enqueue_document(redis_client, capture, "t") is True
    queue = Queue(INGEST, connection=redis_client)
    assert queue.count == 1
    job = Job.fetch(ingest_job_id(capture), connection=redis_client)
    assert job.func_name == "workers.jobs.ingest_document"
    assert job.args == (capture.to_dict(),) and job.kwargs == {}
    assert DocumentCapture.from_dict(job.args[0]) == capture
    assert job.timeout == 300 and job.result_ttl > 0 and job.failure_ttl > 0
    assert job.retries_left == 3 and job.retry_intervals == [5, 30, 120]


def test_same_content_is_handed_off_once(redis_client: redis.Redis) -> None:
    capture = _capture()
    assert enqueue_document(redis_client, capture, "t") is True
    assert enqueue_document(redis_client, capture, "t") is False
    assert enqueue_documents(redis_client, [capture, capture], "t") == [False, False]
    assert Queue(INGEST, connection=redis_client).count == 1


def test_changed_page_or_other_url_is_new_work(redis_client: redis.Redis) -> None:
    first = _capture()
    changed = _capture(digests=("sha1:AAAA", "sha1:CCCC"))
    elsewhere = _capture(url="http://mirror.test/doc/1.html")
    assert enqueue_documents(redis_client, [first, changed, elsewhere], "t") == [True, True, True]
    ids = {ingest_job_id(c) for c in (first, changed, elsewhere)}
    assert set(Queue(INGEST, connection=redis_client).job_ids) == ids


def test_failed_enqueue_releases_the_guard(redis_client: redis.Redis) -> None:
    capture = _capture()
    queue_key = Queue(INGEST, connection=redis_client).key
    redis_client.set(queue_key, "not a list")  # the RPUSH of the enqueue now fails (WRONGTYPE)
    with pytest.raises(redis.ResponseError):
        enqueue_document(redis_client, capture, "t")
    redis_client.delete(queue_key)
    assert enqueue_document(redis_client, capture, "t") is True
    assert Queue(INGEST, connection=redis_client).count == 1
