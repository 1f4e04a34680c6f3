"""Load: generated documents through the real service path, two worker processes, one Redis.

`synthetic.corpus.generate` documents are written as JSON Lines import records into a WARC archive
(`workers.flow.imports.Importer`), handed off as RQ ingest jobs (`crawler.handoff.enqueue_documents`,
the crawler's own door) and drained by two `dedupcrawl worker --burst` processes. In the same
run, on the same server, the LSH index alone is measured as bench/index.py does (its
per-document figure is the baseline). Reported:

docs_per_s            documents ingested per second of draining (2 workers)
count_in / stored / rejected / failed / lost    lost = in - stored - rejected (must be 0)
redis_bytes_per_doc   Redis used_memory growth / documents, everything (texts, indexes, jobs)
family_bytes_per_doc  the same split by key family (doc, lsh, pass, aln, rq, ...)
lsh_bytes_per_doc     the LSH index's share, next to bench/index.py's figure -> index_ratio
worker_rss_mb         peak RSS of a worker process and of a job (work horse) process
growth_ratio          bytes/doc at the end over bytes/doc at half way (flat = about 1)

    python bench/load.py [--quick] [--json] [--docs N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import redis  # noqa: E402
from rq import Queue  # noqa: E402

from archive.capture import DocumentCapture  # noqa: E402
from archive.keys import Keys  # noqa: E402
from archive.warc import WarcArchive  # noqa: E402
from bench.index import fingerprints, ours  # noqa: E402
from bench.peers import cli_env  # noqa: E402
from crawler.handoff import enqueue_documents  # noqa: E402
from crawler.queues import INGEST  # noqa: E402
from synthetic.corpus import generate  # noqa: E402
from workers.flow.imports import Importer  # noqa: E402
from workers.redis.redis_server import RedisServer, stop_process  # noqa: E402
from workers.stores.store import Store  # noqa: E402

PREFIX = "load"
WORKERS = 2
BATCH = 1000
SEED = 23
PROGRESS_S = 60


def write_imports(count: int, home: Path) -> tuple[list[DocumentCapture], int]:
    """The corpus as a JSON Lines file, archived by the importer; (captures, import rejections)."""
    lines = home / "load.jsonl"
    with lines.open("w", encoding="utf-8") as out:
        for doc in generate(count, SEED):
            record = {"url": doc.url, "text": doc.noisy, "title": doc.title, "published": str(doc.published)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    archive = WarcArchive(home / "warc", "load")
    captures, rejected = [], 0
    try:
        for item in Importer(archive).jsonl(lines):
            if isinstance(item, DocumentCapture):
                captures.append(item)
            else:
                rejected += 1
    finally:
        archive.close()
    return captures, rejected


def hand_off(connection: redis.Redis, captures: list[DocumentCapture]) -> int:
    enqueued = 0
    for lo in range(0, len(captures), BATCH):
        enqueued += sum(enqueue_documents(connection, captures[lo : lo + BATCH], PREFIX))
    return enqueued


def start_workers(home: Path, url: str, count: int = WORKERS) -> list[subprocess.Popen[bytes]]:
    env = cli_env(home) | {
        "REDIS_URL": url,
        "DEDUPCRAWL_KEY_PREFIX": PREFIX,
    }
    command = [sys.executable, "-m", "workers", "worker", "--burst", "--queues", INGEST]
    return [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(count)
    ]


class Watch:
    """Peak RSS of the workers and their job processes, and memory at half way, while draining."""

    def __init__(self, connection: redis.Redis, workers: list[subprocess.Popen[bytes]], total: int) -> None:
        self.connection = connection
        self.processes = [psutil.Process(w.pid) for w in workers]
        self.total = total
        self.worker_rss = self.horse_rss = 0
        self.half: tuple[int, int] | None = None  # (documents, used_memory)

    def sample(self) -> None:
        for process in self.processes:
            try:
                self.worker_rss = max(self.worker_rss, process.memory_info().rss)
                for child in process.children(recursive=True):
                    self.horse_rss = max(self.horse_rss, child.memory_info().rss)
            except psutil.Error:
                continue  # exited between listing and reading
        done = int(self.connection.zcard(Keys(PREFIX).docs))
        if self.half is None and done >= self.total // 2:
            self.half = (done, int(self.connection.info("memory")["used_memory"]))

    def report(self, elapsed: float) -> None:
        """A progress line on stderr, so a long run's figures survive an interrupted run."""
        done = int(self.connection.zcard(Keys(PREFIX).docs))
        line = {
            "elapsed_s": round(elapsed),
            "stored": done,
            "rejected": int(self.connection.zcard(Keys(PREFIX).rejections)),
            "queued": Queue(INGEST, connection=self.connection).count,
            "docs_per_s": round(done / elapsed, 1),
            "used_memory_mb": round(int(self.connection.info("memory")["used_memory"]) / 2**20, 1),
            "worker_rss_mb": round(self.worker_rss / 2**20, 1),
            "job_rss_mb": round(self.horse_rss / 2**20, 1),
        }
        print(json.dumps(line), file=sys.stderr, flush=True)


def drain(connection: redis.Redis, workers: list[subprocess.Popen[bytes]], total: int) -> tuple[float, Watch]:
    watch = Watch(connection, workers, total)
    started = last_report = time.perf_counter()
    while any(w.poll() is None for w in workers):
        watch.sample()
        if time.perf_counter() - last_report >= PROGRESS_S:
            last_report = time.perf_counter()
            watch.report(last_report - started)
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    for worker in workers:
        if worker.returncode != 0:
            err = worker.stderr.read().decode(errors="replace") if worker.stderr else ""
            raise SystemExit(f"a worker exited with {worker.returncode}: {err[-2000:]}")
    return elapsed, watch


def key_families(connection: redis.Redis) -> dict[str, int]:
    """Bytes (MEMORY USAGE) per key family: `prefix:family` for ours, `rq:kind` for RQ's."""
    sizes: Counter[str] = Counter()
    batch: list[bytes] = []

    def flush() -> None:
        pipe = connection.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key, samples=0)
        for key, used in zip(batch, pipe.execute(), strict=True):
            sizes[":".join(key.decode("utf-8", "replace").split(":", 2)[:2])] += int(used or 0)
        batch.clear()

    for key in connection.scan_iter(count=2000):
        batch.append(key)
        if len(batch) >= 2000:
            flush()
    flush()
    return dict(sizes)


def baseline_index_bytes(connection: redis.Redis, count: int) -> int:
    """bench/index.py's LSH-only bytes per document, measured here at `count` documents."""
    fps = fingerprints(count + 100)
    size = min(count, len(fps) - 20)
    result = ours(connection, fps[:size], [size], fps[size : size + 20])
    connection.flushall()
    return int(result["bytes_per_doc"][str(size)])


def run(count: int, baseline_docs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        server = RedisServer(Path(tmp) / "redis").start()
        try:
            connection = redis.Redis.from_url(server.url)
            index_bytes = baseline_index_bytes(connection, baseline_docs)
            return load(connection, server.url, home, count) | {"bench_index_bytes_per_doc": index_bytes}
        finally:
            stop_process(server.pid)


def load(connection: redis.Redis, url: str, home: Path, count: int) -> dict[str, Any]:
    base_memory = int(connection.info("memory")["used_memory"])
    prepared = time.perf_counter()
    captures, import_rejected = write_imports(count, home)
    enqueued = hand_off(connection, captures)
    prepare_s = time.perf_counter() - prepared
    elapsed, watch = drain(connection, start_workers(home, url), enqueued)
    store = Store(connection, Keys(PREFIX))
    stored, rejected = store.count_documents(), int(connection.zcard(Keys(PREFIX).rejections))
    failed = Queue(INGEST, connection=connection).failed_job_registry.count
    used = int(connection.info("memory")["used_memory"]) - base_memory
    families = key_families(connection)
    per_doc = {name: round(size / max(stored, 1)) for name, size in sorted(families.items())}
    lsh = sum(v for k, v in families.items() if k == f"{PREFIX}:lsh")
    return {
        "documents": count,
        "count_in": enqueued + import_rejected,
        "stored": stored,
        "rejected": rejected + import_rejected,
        "failed_jobs": failed,
        "lost": enqueued + import_rejected - stored - rejected - import_rejected,
        "queue_left": Queue(INGEST, connection=connection).count,
        "prepare_s": round(prepare_s, 1),
        "drain_s": round(elapsed, 1),
        "docs_per_s": round(enqueued / elapsed, 1),
        "redis_bytes_per_doc": round(used / max(stored, 1)),
        "family_bytes_per_doc": per_doc,
        "lsh_bytes_per_doc": round(lsh / max(stored, 1)),
        "growth_ratio": _growth(watch, used, stored, base_memory),
        "worker_rss_mb": round(watch.worker_rss / 2**20, 1),
        "job_rss_mb": round(watch.horse_rss / 2**20, 1),
    }


def _growth(watch: Watch, used: int, stored: int, base: int) -> float | None:
    if watch.half is None or not watch.half[0]:
        return None
    half_per_doc = (watch.half[1] - base) / watch.half[0]
    return round((used / max(stored, 1)) / half_per_doc, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 documents (under a minute)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--docs", type=int, default=None, help="documents to ingest (default 100000)")
    args = parser.parse_args()
    count = args.docs or (200 if args.quick else 100_000)
    result = run(count, baseline_docs=min(count, 2_000 if args.quick else 10_000))
    result["index_ratio"] = round(result["lsh_bytes_per_doc"] / result["bench_index_bytes_per_doc"], 2)
    result["within_index_figure"] = result["lsh_bytes_per_doc"] <= result["bench_index_bytes_per_doc"] * 1.25
    if args.json:
        print(json.dumps(result))
        return
    for name, value in result.items():
        print(f"{name:28} {value}")


if __name__ == "__main__":
    main()
