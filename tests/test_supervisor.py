"""`dedupcrawl worker` forks a process per batch of jobs, and replaces one that dies."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis
from rq import Queue
from rq.job import Job

from archive.keys import Keys
from crawler.handoff import ingest_job_id
from crawler.queues import INGEST
from synthetic.corpus import generate
from tests.cli_process import clean_env
from tests.fault_rig import (
    PREFIX,
    archive_imports,
    hand_off_one_by_one,
    service_env,
    start_worker,
    stop_started_workers,
    wait_for,
)
from workers.redis.embedded_redis import EmbeddedRedis
from workers.redis.redis_server import RedisServer, stop_process


def _worker(env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "workers", "worker", "-q", INGEST, "--name", "w", *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_burst_worker_runs_batches_in_successive_processes(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    captures = archive_imports(tmp_path, generate(12, seed=4))
    hand_off_one_by_one(redis_client, captures)
    worker = _worker(service_env(tmp_path, redis_url), "--burst", "--jobs-per-process", "5")
    out, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0, out[-3000:]
    jobs = Job.fetch_many([ingest_job_id(c) for c in captures], connection=redis_client)
    names = {job.worker_name for job in jobs if job}
    assert all(job and job.is_finished for job in jobs)
    assert names == {"w", "w-1", "w-2"}  # 5 + 5 + 2 jobs, one process each
    assert redis_client.zcard(Keys(PREFIX).docs) == 12


def test_a_killed_batch_process_is_replaced(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    captures = archive_imports(tmp_path, generate(30, seed=5))
    env = service_env(tmp_path, redis_url)
    worker = _worker(env, "--jobs-per-process", "1000", "--maintenance-s", "1")
    try:
        _wait(lambda: redis_client.exists("rq:worker:w"))
        child = psutil.Process(worker.pid).children()[0]
        os.kill(child.pid, signal.SIGKILL)
        _wait(lambda: redis_client.exists("rq:worker:w-1"))  # its replacement is listening
        hand_off_one_by_one(redis_client, captures)
        _wait(lambda: redis_client.zcard(Keys(PREFIX).docs) == 30)
        assert worker.poll() is None  # the supervisor lives on
        jobs = Job.fetch_many([ingest_job_id(c) for c in captures], connection=redis_client)
        assert all(job and job.retries_left == 3 for job in jobs)  # none waited for RQ's rescue
        assert {job.worker_name for job in jobs if job} == {"w-1"}
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    assert Queue(INGEST, connection=redis_client).count == 0, out[-3000:]


def _wait(predicate, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def _running(pids: list[int]) -> list[int]:
    """The pids still running (a zombie has ended: only its exit status waits to be read)."""
    left = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left.append(pid)
    return left


def _family(process: subprocess.Popen[str]) -> list[int]:
    return [process.pid] + [child.pid for child in psutil.Process(process.pid).children(recursive=True)]


@pytest.mark.parametrize(
    ("state", "signals"),
    [
        ("idle", (signal.SIGTERM,)),
        ("idle", (signal.SIGINT,)),
        ("mid_job", (signal.SIGTERM,)),
        ("mid_job", (signal.SIGTERM, signal.SIGTERM)),
        ("mid_job", (signal.SIGINT, signal.SIGINT)),
        ("redis_down", (signal.SIGTERM,)),
        ("redis_down", (signal.SIGTERM, signal.SIGTERM)),
        ("idle", (signal.SIGKILL,)),  # the supervisor alone: its processes die with it
    ],
)
def test_a_stop_leaves_no_process_of_the_worker_in_any_state(
    tmp_path: Path, state: str, signals: tuple[int, ...]
) -> None:
    server = RedisServer(tmp_path / "redis").start()
    try:
        connection = redis.Redis.from_url(server.url)
        worker = start_worker(service_env(tmp_path / "home", server.url), "w", maintenance_s=30)
        # listening, with its batch process and RQ's scheduler process started
        wait_for(lambda: connection.exists("rq:worker:w") and len(_family(worker)) >= 3, 120, "the worker")
        if state == "mid_job":
            job = Queue(INGEST, connection=connection).enqueue("time.sleep", 6, job_id="sleeper")
            wait_for(lambda: job.get_status(refresh=True) == "started", 60, "the job to start")
        family = _family(worker)
        if state == "redis_down":
            os.kill(server.pid, signal.SIGKILL)
            time.sleep(3)  # the worker notices, and waits for Redis to come back
        for number, sig in enumerate(signals):
            time.sleep(1.5 if number else 0)  # RQ ignores a second signal within a second
            os.kill(worker.pid, sig)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the worker ignored {signals} when {state}") from None
        wait_for(lambda: not _running(family), 15, f"the worker's processes to end: {_running(family)}")
        if state == "mid_job":
            warm = len(signals) == 1
            assert (job.get_status(refresh=True) == "finished") is warm, job.get_status()
        connection.close()
    finally:
        stop_started_workers()
        stop_process(server.pid)


@pytest.mark.parametrize("signals", [(signal.SIGTERM, signal.SIGTERM), (signal.SIGKILL,)])
def test_on_the_embedded_redis_nothing_is_left_either(tmp_path: Path, signals: tuple[int, ...]) -> None:
    """Cold-stopped mid-job, or its supervisor killed: the worker's processes end first, then the
    last lease is gone and the keeper stops redis-server and itself."""
    home = tmp_path / "home"
    server = EmbeddedRedis(home / "redis")
    env = clean_env(DEDUPCRAWL_HOME=str(home), DEDUPCRAWL_KEY_PREFIX=PREFIX, DEDUPCRAWL_LOG_LEVEL="WARNING")
    worker = start_worker(env, "w", maintenance_s=30)
    try:
        wait_for(lambda: server.lease_holders() == [worker.pid], 120, "the worker's lease")
        info = server.running()
        assert info is not None
        connection = redis.Redis.from_url(info.url)
        wait_for(lambda: connection.exists("rq:worker:w") and len(_family(worker)) >= 3, 120, "the worker")
        job = Queue(INGEST, connection=connection).enqueue("time.sleep", 6, job_id="sleeper")
        wait_for(lambda: job.get_status(refresh=True) == "started", 60, "the job to start")
        keeper = int((home / "redis" / "keeper.pid").read_text())
        family = [*_family(worker), info.pid, keeper]
        for number, sig in enumerate(signals):
            time.sleep(1.5 if number else 0)
            os.kill(worker.pid, sig)
        worker.wait(timeout=30)
        wait_for(lambda: not _running(family), 15, f"every process to end: {_running(family)}")
        assert not (home / "redis" / "server.json").exists()
    finally:
        stop_started_workers()
        server.stop()
