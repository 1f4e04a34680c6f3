"""The whole ingest job per document, next to trafilatura.extract alone on the same pages.

The fixture web's pages (rendered in process, multi-page documents included) are archived to a
WARC file once; then, in one run and on the same documents:
  extract_only  trafilatura.extract on every page of every document (decoded with its charset)
  ingest        the RQ ingest jobs, enqueued as the crawler's hand-off does (up to JOB_DOCUMENTS
                documents a job), through one `dedupcrawl worker --burst` process against a real
                redis-server: read the WARC record, extract, normalize, fingerprint, cluster,
                passage index, align, trace, store — as deployed (a forked process per batch of
                jobs), and with `--jobs-per-process 1` (RQ's fork per job). The worker's start-up
                (imports, warm-up), timed on an empty queue, is subtracted.
`ratio` is the cost of the deployed worker's ingest over the cost of extraction alone.

    python bench/ingest.py [--quick] [--json]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import trafilatura  # noqa: E402
from rq import Queue  # noqa: E402
from rq.job import Job  # noqa: E402

from archive.capture import DocumentCapture  # noqa: E402
from archive.keys import Keys  # noqa: E402
from archive.warc import Exchange, WarcArchive, capture_ref  # noqa: E402
from bench.cli import parser, report  # noqa: E402
from crawler.handoff import INGEST_FUNCTION, job_batches  # noqa: E402
from crawler.queues import INGEST  # noqa: E402
from dedup.decode import decode  # noqa: E402
from dedup.records import Page  # noqa: E402
from synthetic.fixture_web.site import FixtureWeb, build, respond  # noqa: E402
from workers.redis.redis_server import RedisServer, stop_process  # noqa: E402
from workers.stores import derived_state  # noqa: E402
from workers.stores.store import Store  # noqa: E402

BASE = "http://fixture.invalid"


def archive(web: FixtureWeb, warc_dir: Path) -> tuple[list[DocumentCapture], list[Page]]:
    """Every document of the fixture web as the crawler would have archived it."""
    writer = WarcArchive(warc_dir, "bench")
    captures, pages = [], []
    for doc in web.docs:
        refs = []
        for path in doc.page_paths:
            reply = respond(web, path, "", {})
            exchange = Exchange(
                BASE + path, "GET", (), 200, "OK", reply.headers, reply.body, datetime.now(UTC)
            )
            written = writer.write_exchange(exchange)
            refs.append(capture_ref(written, exchange, doc.site, None))
            pages.append(Page(refs[-1].capture_id, BASE + path, reply.body, reply.headers))
        captures.append(DocumentCapture(BASE + doc.path, doc.site, doc.corpus.site_kind, tuple(refs)))
    writer.close()
    return captures, pages


def extract_only(pages: list[Page]) -> float:
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(decode(page.body, page.header("Content-Type")).text, include_comments=False)
    return time.perf_counter() - started


def ingest(url: str, prefix: str, captures: list[DocumentCapture], per_process: int) -> float:
    """Seconds one worker process spends on these documents: from the first job's start to the
    last job's end, as RQ recorded them (the process's start-up is not counted)."""
    connection = redis.Redis.from_url(url)
    derived_state.clear(connection, prefix)
    queue = Queue(INGEST, connection=connection)
    queue.empty()
    ids = []
    for job_id, batch in job_batches(captures):
        queue.enqueue(INGEST_FUNCTION, [c.to_dict() for c in batch], job_id=job_id, result_ttl=600)
        ids.append(job_id)
    command = [sys.executable, "-m", "workers", "worker", "--burst", "-q", INGEST]
    subprocess.run([*command, "--jobs-per-process", str(per_process)], check=True, capture_output=True)
    store = Store(connection, Keys(prefix))
    if store.count_documents() + len(store.rejections()) != len(captures):
        raise SystemExit(f"lost documents: {store.count_documents()} stored of {len(captures)}")
    jobs = [job for job in Job.fetch_many(ids, connection=connection) if job]
    started = min(job.started_at for job in jobs if job.started_at)
    ended = max(job.ended_at for job in jobs if job.ended_at)
    return (ended - started).total_seconds()


def run(quick: bool) -> dict[str, Any]:
    n_docs = 60 if quick else 300
    web = build(BASE, n_docs, seed=5)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        captures, pages = archive(web, home / "warc")
        server = RedisServer(home / "redis").start()
        env_prefix = "bench"
        try:
            _configure_env(home, server.url, env_prefix)
            extract_s = extract_only(pages)
            batch_s = ingest(server.url, env_prefix, captures, per_process=100)
            per_job_s = ingest(server.url, env_prefix, captures, per_process=1)
        finally:
            stop_process(server.pid)
    n = len(captures)
    return {
        "documents": n,
        "pages": len(pages),
        "ingest_docs_per_s": round(n / batch_s, 1),
        "ingest_fork_per_job_docs_per_s": round(n / per_job_s, 1),
        "extract_only_docs_per_s": round(n / extract_s, 1),
        "ratio": round(batch_s / extract_s, 2),
        "ratio_fork_per_job": round(per_job_s / extract_s, 2),
    }


def _configure_env(home: Path, url: str, prefix: str) -> None:
    """The ingest job reads its settings like a worker does: from the environment."""
    os.environ.update({"DEDUPCRAWL_HOME": str(home), "REDIS_URL": url, "DEDUPCRAWL_KEY_PREFIX": prefix})


def main() -> None:
    args_parser = parser(__doc__, "60 documents instead of 300")
    args = args_parser.parse_args()
    report(run(args.quick), args.json)


if __name__ == "__main__":
    main()
