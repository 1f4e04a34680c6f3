"""The whole ingest job per document, next to trafilatura.extract alone on the same pages.

The fixture web's pages (rendered in process, multi-page documents included) are archived to a
WARC file once; then, in one run and on the same documents:
  extract_only  trafilatura.extract on every page of every document (decoded with its charset)
  ingest        the RQ ingest job through one worker against a real redis-server: read the
                WARC record, extract, normalize, fingerprint, cluster, passage index, align,
                trace, store (forking worker, as `dedupcrawl worker` runs; and without fork)
`ratio` is the cost of the forking worker's ingest over the cost of extraction alone.

    python bench/ingest.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
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
from rq import Queue, SimpleWorker, Worker  # noqa: E402

from crawler.capture import DocumentCapture  # noqa: E402
from crawler.warc import Exchange, WarcArchive, capture_ref  # noqa: E402
from dedup.decode import decode  # noqa: E402
from dedup.records import Page  # noqa: E402
from workers import derived_state, jobs  # noqa: E402
from workers.fixture_web.site import FixtureWeb, build, respond  # noqa: E402
from workers.handoff import INGEST_FUNCTION, ingest_job_id  # noqa: E402
from workers.redis_server import RedisServer, stop_process  # noqa: E402

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


def ingest(url: str, prefix: str, captures: list[DocumentCapture], fork: bool) -> float:
    connection = redis.Redis.from_url(url)
    derived_state.clear(connection, prefix)
    queue = Queue(f"bench-{prefix}", connection=connection)
    queue.empty()
    for capture in captures:
        queue.enqueue(INGEST_FUNCTION, capture.to_dict(), job_id=ingest_job_id(capture), result_ttl=60)
    ingestor = jobs.build_ingestor(connection)
    ingestor.warm_up()
    jobs.configure(ingestor)
    worker_class = Worker if fork else SimpleWorker
    started = time.perf_counter()
    worker_class([queue], connection=connection).work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - started
    stored = ingestor.store.count_documents()
    if stored + len(ingestor.store.rejections()) != len(captures):
        raise SystemExit(f"lost documents: {stored} stored of {len(captures)}")
    return elapsed


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
            fork_s = ingest(server.url, env_prefix, captures, fork=True)
            simple_s = ingest(server.url, env_prefix, captures, fork=False)
        finally:
            stop_process(server.pid)
    n = len(captures)
    return {
        "documents": n,
        "pages": len(pages),
        "ingest_docs_per_s": round(n / fork_s, 1),
        "ingest_no_fork_docs_per_s": round(n / simple_s, 1),
        "extract_only_docs_per_s": round(n / extract_s, 1),
        "ratio": round(fork_s / extract_s, 2),
        "ratio_no_fork": round(simple_s / extract_s, 2),
    }


def _configure_env(home: Path, url: str, prefix: str) -> None:
    """The ingest job reads its settings like a worker does: from the environment."""
    os.environ.update({"DEDUPCRAWL_HOME": str(home), "REDIS_URL": url, "DEDUPCRAWL_KEY_PREFIX": prefix})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="60 documents instead of 300")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = run(args.quick)
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:>28}: {value}")


if __name__ == "__main__":
    main()
