"""Faults under load: documents ingested by two `dedupcrawl worker`s on the embedded Redis while
redis-server is SIGKILLed 3 times and a worker 3 times, at random moments.

The documents are archived as a JSON Lines import and handed off as ingest jobs (the crawler's
own door). Nothing restarts redis-server but the embedded Redis's keeper; a killed worker (its
whole process group, SIGKILL) is started again as a process manager would (compose's
`restart:`), and its jobs are recovered by the other worker's maintenance. In the same run the
same documents are ingested in this process, with no fault, under another key prefix: the
reference. Reported:

documents / stored / rejected / lost      lost = documents - stored - rejected (must be 0)
consistency_problems     documents stored twice, left half-indexed, clusters that disagree (0)
clusters / reference_clusters / same_clusters    the partitions of the fault run and the clean run
redis_kills, restart_s_max    kills of redis-server and the longest time until the keeper's restart
worker_kills, recovered_jobs  kills of a worker and the jobs maintenance put back on the queue
processes_left           processes of the run (workers, their children, keeper, redis-server)
                         still running after the workers were stopped and the lease released (0)

    python bench/faults.py [--quick] [--json] [--docs N] [--seed S]
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import redis  # noqa: E402

from archive.capture import DocumentCapture  # noqa: E402
from archive.keys import Keys  # noqa: E402
from bench.cli import parser, report  # noqa: E402
from crawler.queues import INGEST  # noqa: E402
from synthetic.corpus import generate  # noqa: E402
from tests.cli_process import clean_env  # noqa: E402
from tests.engine_stack import new_ingestor  # noqa: E402
from tests.fault_rig import (  # noqa: E402
    PREFIX,
    archive_imports,
    consistency_problems,
    hand_off,
    partition,
    settled,
    wait_for,
)
from workers.redis.embedded_redis import EmbeddedRedis  # noqa: E402

KILLS = {"redis": 3, "worker": 3}
REFERENCE = "reference"
LOG_LEVEL = "WARNING"


class Worker:
    """One `dedupcrawl worker` process group, its log in a file, every pid it ever had noted."""

    def __init__(self, home: Path, name: str, seen: set[int]) -> None:
        self.home, self.name, self.seen = home, name, seen
        self.log: IO[str] = (home / f"{name}.log").open("a")
        settings = {"DEDUPCRAWL_KEY_PREFIX": PREFIX, "DEDUPCRAWL_LOG_LEVEL": LOG_LEVEL}
        env = clean_env(DEDUPCRAWL_HOME=str(home), **settings)
        command = [sys.executable, "-m", "workers", "worker", "-q", INGEST, "--name", name,
                   "--maintenance-s", "1"]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.note()

    def note(self) -> None:
        self.seen.add(self.process.pid)
        with contextlib.suppress(psutil.NoSuchProcess):
            self.seen.update(child.pid for child in psutil.Process(self.process.pid).children(recursive=True))

    def kill(self) -> None:
        self.note()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.note()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=120)
        self.log.close()


def running(pids: set[int]) -> list[int]:
    """The pids still running (a zombie has ended; only its status waits to be read)."""
    left = []
    for pid in sorted(pids):
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left.append(pid)
        except psutil.NoSuchProcess:
            pass
    return left


def reference_partition(connection: redis.Redis, home: Path, captures: list[DocumentCapture]) -> Any:
    """The clusters of a clean, in-process ingest of the same documents."""
    ingestor = new_ingestor(connection, Keys(REFERENCE), home / "warc")
    for capture in captures:
        ingestor.ingest_capture(capture)
    return partition(ingestor)


def kill_plan(documents: int, seed: int) -> list[tuple[int, str]]:
    """(stored documents at which to strike, what to kill), in order, at random moments."""
    rng = random.Random(seed)
    kinds = [kind for kind, count in KILLS.items() for _ in range(count)]
    rng.shuffle(kinds)
    moments = sorted(rng.sample(range(documents // 20, documents * 17 // 20), len(kinds)))
    return list(zip(moments, kinds, strict=True))


def kill_redis(server: EmbeddedRedis, seen: set[int]) -> float:
    """SIGKILL redis-server; seconds until the keeper's replacement answers."""
    info = server.running()
    if info is None:
        raise RuntimeError("no redis-server to kill")
    seen.add(info.pid)
    os.kill(info.pid, signal.SIGKILL)
    killed = time.monotonic()
    wait_for(lambda: (now := server.running()) is not None and now.pid != info.pid, 60, "the restart", 0.02)
    return time.monotonic() - killed


def fault_run(home: Path, server: EmbeddedRedis, connection: redis.Redis, captures: list[DocumentCapture],
              seed: int, seen: set[int]) -> dict[str, Any]:  # fmt: skip
    workers = [Worker(home, f"w{i}", seen) for i in range(2)]
    wait_for(lambda: len(server.lease_holders()) == 3, 180, "both workers to hold a lease")
    hand_off(connection, captures)
    docs, rng = Keys(PREFIX).docs, random.Random(seed)
    restarts, started = [], time.monotonic()
    for number, (at, kind) in enumerate(kill_plan(len(captures), seed)):
        wait_for(lambda at=at: _count(connection, docs) >= at, 1800, f"{at} documents stored", 0.01)
        for worker in workers:
            worker.note()
        if kind == "redis":
            restarts.append(kill_redis(server, seen))
            continue
        victim = rng.randrange(len(workers))
        workers[victim].kill()
        workers[victim] = Worker(home, f"w{victim}-{number}", seen)  # as a process manager would
    wait_for(lambda: _settled(connection, len(captures)), 1800, "every document stored or rejected", 0.5)
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.stop()
    logs = "".join(path.read_text(errors="replace") for path in home.glob("w*.log"))
    recovered = logs.count("recovered job")
    return {"elapsed_s": round(elapsed, 1), "restart_s": restarts, "recovered_jobs": recovered}


def _count(connection: redis.Redis, key: str) -> int:
    try:
        return int(connection.zcard(key))
    except redis.ConnectionError:
        return -1  # redis-server is being restarted


def _settled(connection: redis.Redis, expected: int) -> bool:
    try:
        return settled(connection, expected)
    except redis.ConnectionError:
        return False


def measure(documents: int, seed: int, workdir: Path) -> dict[str, Any]:
    home = workdir / "home"
    captures = archive_imports(home, generate(documents, seed=seed))
    server = EmbeddedRedis(home / "redis")
    info = server.acquire()  # this process's lease keeps the server up while it reads results
    seen: set[int] = {info.pid}
    try:
        connection = redis.Redis.from_url(info.url)
        reference = reference_partition(connection, home, captures)
        keeper = int((home / "redis" / "keeper.pid").read_text())
        seen.add(keeper)
        run = fault_run(home, server, connection, captures, seed, seen)
        connection = redis.Redis.from_url(info.url)
        ingestor = new_ingestor(connection, Keys(PREFIX), home / "warc")
        store = ingestor.store
        stored = int(connection.zcard(Keys(PREFIX).docs))
        rejected = int(connection.zcard(Keys(PREFIX).rejections))
        problems = consistency_problems(ingestor)
        clusters = partition(ingestor)
        connection.close()
        reasons = sorted({r.reason for r in store.rejections()})
    finally:
        server.release()
    time.sleep(2)  # the keeper notices the last lease is gone
    seen.add(server_pid_or(info.pid, home))
    left = running(seen)
    return {
        "documents": documents,
        "stored": stored,
        "rejected": rejected,
        "rejection_reasons": reasons,
        "lost": documents - stored - rejected,
        "consistency_problems": len(problems),
        "clusters": sum(len(c) > 1 for c in clusters),
        "reference_clusters": sum(len(c) > 1 for c in reference),
        "same_clusters": clusters == reference,
        "redis_kills": len(run["restart_s"]),
        "restart_s_max": round(max(run["restart_s"], default=0.0), 2),
        "worker_kills": KILLS["worker"],
        "recovered_jobs": run["recovered_jobs"],
        "processes_seen": len(seen),
        "processes_left": len(left),
        "elapsed_s": run["elapsed_s"],
        "first_problems": problems[:3],
    }


def server_pid_or(default: int, home: Path) -> int:
    state = home / "redis" / "redis.pid"
    try:
        return int(state.read_text().strip())
    except (OSError, ValueError):
        return default


def main() -> None:
    args = parser(__doc__, "600 documents instead of 5,000")
    args.add_argument("--docs", type=int, default=None, help="documents (default 5000, --quick 600)")
    args.add_argument("--seed", type=int, default=18)
    options = args.parse_args()
    documents = options.docs or (600 if options.quick else 5000)
    with tempfile.TemporaryDirectory(prefix="dc-faults-") as workdir:
        figures = measure(documents, options.seed, Path(workdir))
    report(figures, options.json)
    ok = figures["lost"] == 0 and figures["consistency_problems"] == 0 and figures["same_clusters"]
    sys.exit(0 if ok and figures["processes_left"] == 0 else 1)


if __name__ == "__main__":
    main()
