"""crawler.handoff against a real redis-server: each document content handed off once, in batched jobs."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from rq import Queue
from rq.job import Job
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from archive.capture import CaptureRef, DocumentCapture
from archive.keys import Keys
from archive.warc import iter_documents
from crawler import pipelines, services
from crawler.handoff import JOB_DOCUMENTS, enqueue_document, enqueue_documents, ingest_job_id, job_batches
from crawler.items import CrawledDocument
from crawler.queues import INGEST, in_hand, taken, unfinished
from crawler.seen import SeenEntry
from synthetic.corpus import generate
from synthetic.fixture_web.process import sites_toml
from tests.engine_stack import new_ingestor
from tests.fault_rig import archive_imports, settled
from workers.commands.burst import waiting
from workers.flow import jobs
from workers.flow.ingest import document_id


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


def test_a_lone_document_is_a_job_of_its_own_id(redis_client: redis.Redis) -> None:
    capture = _capture()
    assert enqueue_document(redis_client, capture, "t") is True
    queue = Queue(INGEST, connection=redis_client)
    assert queue.count == 1
    job = Job.fetch(ingest_job_id(capture), connection=redis_client)
    assert job.func_name == "workers.flow.jobs.ingest_documents"
    assert job.args == ([capture.to_dict()],) and job.kwargs == {}
    assert DocumentCapture.from_dict(job.args[0][0]) == capture
    assert job.timeout == 300 and job.result_ttl > 0 and job.failure_ttl > 0
    assert job.retries_left == 3 and job.retry_intervals == [5, 30, 120]


def test_documents_go_in_jobs_of_at_most_job_documents(redis_client: redis.Redis) -> None:
    captures = [_capture(url=f"http://site.test/doc/{i}.html") for i in range(JOB_DOCUMENTS * 2 + 3)]
    assert all(enqueue_documents(redis_client, captures, "t"))
    jobs = Queue(INGEST, connection=redis_client).jobs
    assert [len(job.args[0]) for job in jobs] == [JOB_DOCUMENTS, JOB_DOCUMENTS, 3]
    assert [DocumentCapture.from_dict(c) for job in jobs for c in job.args[0]] == captures
    assert len({job.id for job in jobs}) == 3
    assert [job_id for job_id, _ in job_batches(captures)] == [job.id for job in jobs]  # deterministic


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
    (job,) = Queue(INGEST, connection=redis_client).jobs
    assert job.args[0] == [c.to_dict() for c in (first, changed, elsewhere)]


def test_failed_enqueue_releases_only_its_own_guards(redis_client: redis.Redis) -> None:
    done, capture = _capture(url="http://site.test/doc/0.html"), _capture()
    assert enqueue_document(redis_client, done, "t") is True
    queue_key = Queue(INGEST, connection=redis_client).key
    redis_client.rename(queue_key, "t:saved")
    redis_client.set(queue_key, "not a list")  # the RPUSH of the enqueue now fails (WRONGTYPE)
    with pytest.raises(redis.ResponseError):
        enqueue_documents(redis_client, [done, capture], "t")
    redis_client.rename("t:saved", queue_key)
    assert enqueue_documents(redis_client, [done, capture], "t") == [False, True]
    jobs = Queue(INGEST, connection=redis_client).jobs
    assert [job.args[0] for job in jobs] == [[done.to_dict()], [capture.to_dict()]]


class _Crawler:
    """What the pipeline and the crawl services use of a Scrapy crawler."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spidercls = SimpleNamespace(name="fixture-wenku")
        self.stats = StatsCollector(self)  # type: ignore[arg-type]


def test_a_lone_document_is_handed_off_on_the_timer(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No further item arrives: the pipeline's timer hands the waiting document off, archive
    flushed first, seen store written after."""
    monkeypatch.setattr(pipelines, "BATCH_MAX_WAIT_S", 0.05)
    sites = tmp_path / "sites.toml"
    sites.write_text(sites_toml("http://127.0.0.1:9"), encoding="utf-8")
    settings = Settings(
        {
            services.SITES_FILE: str(sites),
            services.REDIS_URL: redis_url,
            services.KEY_PREFIX: "pipe",
            services.WARC_DIR: str(tmp_path / "warc"),
            services.RUN_ID: "run-1",
        }
    )
    crawler = _Crawler(settings)
    pipeline = pipelines.HandoffPipeline(crawler)
    clock = task.Clock()
    pipeline._timer.clock = clock  # type: ignore[assignment]  # Clock provides IReactorTime
    pipeline.open_spider()
    capture = _capture()
    seen = tuple(SeenEntry(page.url, 1.0, page.payload_digest, capture=page) for page in capture.pages)
    pipeline.process_item(CrawledDocument(capture, changed=True, seen=seen))
    queue = Queue(INGEST, connection=redis_client)
    assert queue.count == 0
    time.sleep(0.06)
    clock.advance(0.05)
    assert queue.jobs[0].id == ingest_job_id(capture)
    assert list(iter_documents(tmp_path / "warc")) == [capture]
    assert services.services_for(crawler).seen.get(capture.doc_url) is not None
    pipeline.close_spider()
    services.services_for(crawler).close()


def test_a_document_that_raises_does_not_stop_the_others_of_its_job(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    """The first error is raised once every document of the job was tried (RQ then retries it)."""
    first, broken, last = archive_imports(tmp_path, generate(3, seed=8))
    keys = Keys("batch")
    redis_client.set(keys.doc(document_id(broken.doc_url)), "not a hash")  # its reads fail: WRONGTYPE
    jobs.configure(new_ingestor(redis_client, keys, tmp_path / "warc"))
    try:
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            jobs.ingest_documents([c.to_dict() for c in (first, broken, last)])
        again = jobs.ingest_documents([first.to_dict(), last.to_dict()])
    finally:
        jobs.configure(None)
    assert [outcome["status"] for outcome in again] == ["unchanged", "unchanged"]


def test_a_job_taken_off_the_queue_but_not_started_is_not_done(redis_client: redis.Redis) -> None:
    """RQ dequeues by moving a job to an intermediate list and starts it afterwards: a check
    that read only the queue and the started registry saw that moment as a finished drain (a
    fault test stopped its worker then, and found a document left pending)."""
    assert enqueue_document(redis_client, _capture(), "t") is True
    ingest = Queue(INGEST, connection=redis_client)
    redis_client.lmove(ingest.key, ingest.intermediate_queue.key)  # what a worker's dequeue does
    assert ingest.count == 0 and ingest.started_job_registry.get_job_count(cleanup=False) == 0
    assert taken(ingest) == in_hand(ingest) == unfinished(ingest) == 1
    assert waiting([ingest]) == 1
    assert not settled(redis_client, 0)
