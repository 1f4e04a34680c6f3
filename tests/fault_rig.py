"""What the fault tests share: their own redis-server, import-archived documents handed off as
ingest jobs, `dedupcrawl worker` processes in their own process group (so a test can SIGKILL a
worker together with its job process), and a consistency check of stored documents and clusters."""

from __future__ import annotations

import contextlib
import html
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil
import redis
from rq import Queue

from archive.capture import DocumentCapture
from archive.keys import Keys
from archive.warc import WarcArchive
from crawler.handoff import enqueue_documents
from crawler.queues import INGEST, unfinished
from synthetic.corpus import CorpusDoc
from tests.cli_process import clean_env
from workers.flow.imports import Importer
from workers.flow.ingest import Ingestor
from workers.redis.direct_connection import RedisClient

PREFIX = "fault"


def service_env(home: Path, url: str, **extra: str) -> dict[str, str]:
    settings = {"DEDUPCRAWL_HOME": str(home), "REDIS_URL": url, "DEDUPCRAWL_KEY_PREFIX": PREFIX}
    return clean_env(**{**settings, "DEDUPCRAWL_LOG_LEVEL": "WARNING", **extra})


def archive_imports(home: Path, docs: Sequence[CorpusDoc], name: str = "docs.jsonl") -> list[DocumentCapture]:
    """The documents as a JSON Lines import, archived to `home/warc` like `dedupcrawl import`."""
    home.mkdir(parents=True, exist_ok=True)
    lines = home / name
    records = [{"url": d.url, "text": d.noisy, "title": d.title, "published": str(d.published)} for d in docs]
    lines.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    archive = WarcArchive(home / "warc", "import")
    try:
        return [c for c in Importer(archive).jsonl(lines) if isinstance(c, DocumentCapture)]
    finally:
        archive.close()


def archive_pages(home: Path, docs: Sequence[CorpusDoc]) -> list[DocumentCapture]:
    """The documents as saved HTML pages (canonical URL inside), archived like `dedupcrawl import`."""
    folder = home / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    for number, doc in enumerate(docs):
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in doc.noisy.split("\n") if p.strip())
        page = (
            f'<html><head><title>{html.escape(doc.title)}</title><link rel="canonical" href="{doc.url}">'
            f"</head><body><article><h1>{html.escape(doc.title)}</h1>{paragraphs}</article></body></html>"
        )
        (folder / f"{number:04d}.html").write_text(page, encoding="utf-8")
    archive = WarcArchive(home / "warc", "import")
    try:
        return [c for c in Importer(archive).html_folder(folder) if isinstance(c, DocumentCapture)]
    finally:
        archive.close()


def hand_off(connection: redis.Redis, captures: Sequence[DocumentCapture]) -> None:
    assert all(enqueue_documents(connection, list(captures), PREFIX))


def hand_off_one_by_one(connection: redis.Redis, captures: Sequence[DocumentCapture]) -> None:
    """A job per document (a crawl handing documents off as they come), each job named by its
    document's `ingest_job_id`."""
    for capture in captures:
        hand_off(connection, [capture])


# Workers started by a test, so its teardown stops them even when an assertion failed first (a
# worker left waiting for a server that is gone would poll forever).
STARTED: list[subprocess.Popen[str]] = []


def stop_started_workers() -> None:
    while STARTED:
        kill_group(STARTED.pop())


def drain_with_workers(env: dict[str, str], count: int = 2, queue: str = INGEST) -> None:
    """`dedupcrawl worker --burst` processes until the queue (ingest) is empty."""
    command = [sys.executable, "-m", "workers", "worker", "--burst", "--queues", queue]
    workers = [subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) for _ in range(count)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-2000:]


def start_worker(
    env: dict[str, str], name: str, maintenance_s: int = 1, queue: str = INGEST
) -> subprocess.Popen[str]:
    """`dedupcrawl worker` (not burst, on the ingest queue) as the leader of its own process group."""
    command = [sys.executable, "-m", "workers", "worker", "--queues", queue, "--name", name,
               "--maintenance-s", str(maintenance_s)]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    STARTED.append(process)
    return process


def kill_group(process: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    """The worker and every process it started (RQ puts its job process in a group of its own)."""
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    if process.poll() is not None and not descendants:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    for child in descendants:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.send_signal(sig)
    process.wait(timeout=30)


def stop_worker(process: subprocess.Popen[str]) -> str:
    """SIGTERM (a warm shutdown), then its log (RQ logs to stdout; stderr is merged in); whatever
    of its process group is left (RQ's scheduler process) is killed."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    kill_group(process)
    return process.stdout.read() if process.stdout else ""


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def settled(connection: redis.Redis, expected: int, index: RedisClient | None = None) -> bool:
    """Every handed-off document stored or rejected, and no ingest job unfinished: queued, taken,
    running or waiting for its retry (a job that met a full Redis after saving a record comes
    back to finish it).
    `index`: where the documents are, when not on the queues' Redis (`connection`)."""
    keys, store = Keys(PREFIX), connection if index is None else index
    done = int(store.zcard(keys.docs)) + int(store.zcard(keys.rejections))
    return done >= expected and unfinished(Queue(INGEST, connection=connection)) == 0


def consistency_problems(ingestor: Ingestor) -> list[str]:
    """Stored documents exactly once and indexed, their passage adds finished; cluster records
    agree with the union-find."""
    store, clusters, keys = ingestor.store, ingestor.clusters, ingestor.store.keys
    problems: list[str] = []
    docs = [d for d in store.get_many(store.document_ids()) if d is not None]
    scanned = {k.decode() for k in store.connection.scan_iter(match=keys.doc("*"), count=1000)}
    if scanned != {keys.doc(d.doc_id) for d in docs}:
        problems.append(f"document hashes {len(scanned)} != documents listed {len(docs)}")
    urls = [d.url for d in docs]
    if len(set(urls)) != len(urls):
        problems.append("a URL is stored twice")
    if len({d.seq for d in docs}) != len(docs):
        problems.append("two documents share an ingest sequence number")
    problems += [f"{d.url} left {d.state}" for d in docs if d.state != "indexed"]
    problems += [f"{d}: its passage add never finished" for d in ingestor.passages.unfinished()]
    members: dict[str, list[str]] = {}
    for doc in docs:
        live = clusters.cluster_of(doc.doc_id)
        recorded = clusters.cluster(doc.cluster_id or "")
        if live is None or recorded is None or recorded.cluster_id != live:
            problems.append(f"{doc.doc_id}: union-find says {live}, its record says {doc.cluster_id}")
        members.setdefault(live or "", []).append(doc.doc_id)
    for cluster_id, ids in members.items():
        info = clusters.cluster(cluster_id)
        listed = sorted(m.doc_id for m in clusters.members(cluster_id))
        score = store.connection.zscore(keys.clusters, cluster_id)
        if info is None or info.size != len(ids) or listed != sorted(ids) or score != len(ids):
            problems.append(f"cluster {cluster_id}: size {info and info.size}, score {score}, "
                            f"members {len(listed)}, documents {len(ids)}")  # fmt: skip
        elif info.representative not in ids:
            problems.append(f"cluster {cluster_id}: representative {info.representative} is not a member")
    live_ids = {_text(c) for c in store.connection.zrange(keys.clusters, 0, -1)}
    if live_ids != set(members):
        problems.append(f"{len(live_ids)} clusters listed, {len(members)} hold documents")
    return problems


def partition(ingestor: Ingestor) -> set[frozenset[str]]:
    """The clusters as sets of document URLs."""
    store, clusters = ingestor.store, ingestor.clusters
    url_of = {d.doc_id: d.url for d in store.get_many(store.document_ids()) if d}
    grouped: dict[str, set[str]] = {}
    for doc_id, url in url_of.items():
        grouped.setdefault(clusters.cluster_of(doc_id) or doc_id, set()).add(url)
    return {frozenset(g) for g in grouped.values()}


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
