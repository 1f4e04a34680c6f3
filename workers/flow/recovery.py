"""Jobs whose worker died in the middle go back on their queue, automatically.

A worker killed mid-job (SIGKILL, OOM, a lost machine) leaves its job in RQ's started registry
until the entry's heartbeat deadline passes and some worker's maintenance (every ten minutes by
default) cleans it. Here a worker's maintenance looks sooner: an execution whose worker is gone
(its registration expired, or its pid is dead on this host) is taken out of the registry and its
job goes back on its queue at once, one of its retries used (the worker died, not the job: no
wait), or with no retries left is failed. An ingest job that has killed its workers every time
is recorded as a `worker_lost` rejection, so it is visible and never retried forever. Ingest is
idempotent, so a job run again after a half-done run is safe.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import socket
import time
from collections.abc import Callable, Sequence
from types import FrameType

import redis
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.worker.base import BaseWorker

from archive.capture import DocumentCapture
from archive.keys import Keys
from crawler.handoff import captures_of, enqueue_alone, ingest_job_id
from dedup.reasons import DocumentState, RejectReason
from dedup.records import Rejection
from workers.flow.ingest import document_id
from workers.redis.redis_server import process_alive
from workers.redis.slot_routing import RedisClient
from workers.stores.replies import text_of
from workers.stores.store import Store, captures_digest

MAINTENANCE_S = 30
RECONNECT_MAX_S = 10.0
MEMORY_MARGIN = 0.95
STARTING_S = 10.0
logger = logging.getLogger(__name__)
_DETAIL = "the worker died in the middle of this job every time it ran"


def worker_gone(connection: redis.Redis, worker_name: str, host: str) -> bool:
    """No live registration (none, or its death recorded), or registered on this host under a
    pid that no longer runs."""
    key = f"{Worker.redis_worker_namespace_prefix}{worker_name}"
    hostname, pid, death = connection.hmget(key, "hostname", "pid", "death")
    if hostname is None or death is not None:
        return True
    return text_of(hostname) == host and not process_alive(int(pid or 0))


def abandoned(connection: redis.Redis, registry: StartedJobRegistry, host: str) -> list[str]:
    """Started-registry entries (`job_id:execution_id`) whose worker is gone."""
    entries = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        name, created = connection.hmget(f"rq:execution:{job_id}:{execution_id}", "worker_name", "created_at")
        if (
            name is None
            or worker_gone(connection, text_of(name), host)
            or moved_on(connection, text_of(name), job_id, created)
        ):
            entries.append(f"{job_id}:{execution_id}")
    return entries


def moved_on(connection: redis.Redis, worker_name: str, job_id: str, created_at: bytes | str | None) -> bool:
    """A live worker no longer on this job: it lost Redis mid-job and carried on with others.
    A fresh execution is left alone (its job process sets `current_job` just after the start)."""
    if created_at is None or time.time() - float(text_of(created_at)) < STARTING_S:
        return False
    current = connection.hget(f"{Worker.redis_worker_namespace_prefix}{worker_name}", "current_job")
    return current is None or text_of(current) != job_id


def recover(
    connection: redis.Redis, queues: Sequence[Queue], key_prefix: str, index: RedisClient | None = None
) -> list[str]:
    """Requeue (or fail) every job of `queues` abandoned by a dead worker; returns their ids.
    `index`: where the documents are (DEDUPCRAWL_INDEX_URL), None: on `connection`."""
    documents = functools.partial(Store, connection if index is None else index, Keys(key_prefix))
    host = socket.gethostname()
    recovered = []
    for queue in queues:
        registry = queue.started_job_registry
        for entry in abandoned(connection, registry, host):
            job_id = entry.split(":", 1)[0]
            # Only the caller that removes the entry handles it: two workers may look at once.
            if connection.zrem(registry.key, entry):
                # A worker that died before its job process started leaves the job on RQ's
                # intermediate list too, where stuck_between would find it again.
                connection.lrem(queue.intermediate_queue.key, 0, job_id)
                if _requeue(connection, queue, job_id, documents):
                    recovered.append(job_id)
        for job_id in stuck_between(queue):
            if connection.lrem(queue.intermediate_queue.key, 1, job_id) and _requeue(
                connection, queue, job_id, documents
            ):
                recovered.append(job_id)
    return recovered


def stuck_between(queue: Queue) -> list[str]:
    """Jobs taken off the queue but never started (the worker or Redis died in between), seen
    so by two maintenance passes STARTING_S apart; RQ itself waits a minute and a retry delay."""
    between = queue.intermediate_queue
    stuck = []
    for job_id in between.get_job_ids():
        if job_id in queue.started_job_registry or between.set_first_seen(job_id):
            continue
        first = between.get_first_seen(job_id)
        if first is not None and time.time() - first.timestamp() > STARTING_S:
            stuck.append(job_id)
    return stuck


def _requeue(connection: redis.Redis, queue: Queue, job_id: str, documents: Callable[[], Store]) -> bool:
    """Back on the queue at once (the worker died, not the job) while retries are left; the
    documents of a batch not yet ingested each go back alone, so one that kills its worker
    takes none of the others down with it."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    store = documents()  # built only when a job is to be requeued
    pending = [capture for capture in captures_of(job) if not _ingested(store, capture)]
    if len(pending) > 1:
        enqueue_alone(queue, pending, retries=max(job.retries_left or 0, 1))
        job.delete()
        return True
    if job.retries_left:
        job.retries_left -= 1
        queue.enqueue_job(job, at_front=True)
        return True
    with connection.pipeline() as pipe:
        job.set_status(JobStatus.FAILED, pipeline=pipe)
        queue.failed_job_registry.add(job, exc_string=f"{RejectReason.WORKER_LOST}: {_DETAIL}", pipeline=pipe)
        pipe.execute()
    for capture in pending:
        lost = Rejection(ingest_job_id(capture), capture.doc_url, "ingest", RejectReason.WORKER_LOST, _DETAIL)
        store.reject(lost)
    return True


def _ingested(store: Store, capture: DocumentCapture) -> bool:
    """Indexed from these very captures: a batch's documents before the one that killed it (one
    clustered with its trace deferred is run again: its trace request may have died with it)."""
    found = store.state_of(document_id(capture.doc_url))
    if found is None:
        return False
    state, untraced, digest = found
    pages = [page.to_dict() for page in capture.pages]
    return state == DocumentState.INDEXED and not untraced and digest == captures_digest(pages)


def work_reconnecting(
    build: Callable[[int], Recovering],
    connection: redis.Redis,
    burst: bool,
    logging_level: str,
    max_jobs: int | None = None,
) -> None:
    """Work until stopped. RQ gives up when Redis goes away (a restart, a failover) or is full
    (maxmemory with noeviction refuses writes): wait until it answers again, or until memory is
    freed, and start a fresh worker; the job the old one held is recovered by maintenance, as
    its registration is marked dead."""
    attempt = 0
    while True:
        rq_worker = build(attempt)
        try:
            rq_worker.work(with_scheduler=True, burst=burst, logging_level=logging_level, max_jobs=max_jobs)
            return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if rq_worker.stop_asked:  # stopped while Redis was away (RQ retries it on its own)
                logger.warning("lost Redis (%s) after a stop was asked; stopping", exc)
                return
            logger.warning("lost Redis (%s); reconnecting", exc)
            _stop_on_signals()
            wait_for_redis(connection)
        except redis.OutOfMemoryError as exc:
            logger.error("Redis is full, nothing is evicted (%s); waiting until memory is freed", exc)
            _stop_on_signals()
            wait_for_memory(connection)
        with contextlib.suppress(redis.RedisError):
            rq_worker.register_death()
        attempt += 1


def _stop_on_signals() -> None:
    """RQ's handlers only ask a working worker to stop; one waiting for Redis stops at once."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit)


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def wait_for_redis(connection: redis.Redis, longest_s: float = RECONNECT_MAX_S) -> None:
    pause = 0.25
    while True:
        try:
            connection.ping()
            return
        except redis.BusyLoadingError:
            pass  # replaying its AOF: ready soon
        except (redis.ConnectionError, redis.TimeoutError):
            pass
        time.sleep(pause)
        pause = min(pause * 2, longest_s)


def has_room(connection: redis.Redis) -> bool:
    """Below maxmemory with a margin (a worker that starts at 99.9% fails again at once)."""
    memory = connection.info("memory")
    limit = int(memory.get("maxmemory", 0))
    return limit == 0 or int(memory["used_memory"]) < limit * MEMORY_MARGIN


def wait_for_memory(connection: redis.Redis, longest_s: float = RECONNECT_MAX_S) -> None:
    pause = 0.25
    while True:
        with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
            if has_room(connection):
                return
        time.sleep(pause)
        pause = min(pause * 2, longest_s)


class Recovering(BaseWorker):
    """Maintenance that also recovers jobs of dead workers (see module doc)."""

    key_prefix = "dc"
    index: RedisClient | None = None  # the documents' Redis when it is not the queues'
    stop_asked = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """RQ's warm shutdown, remembered: RQ loses it when Redis is away at that moment."""
        self.stop_asked = True
        super().request_stop(signum, frame)

    def unsubscribe(self) -> None:
        """RQ's, with a bounded wait: redis-py's listener thread can wait up to RQ's 60 s for a
        subscription that a stop soon after the start cancelled, and RQ joins it unbounded. It
        is a daemon thread; it closes its connection once it wakes."""
        if self.pubsub_thread:
            with contextlib.suppress(redis.RedisError):
                self.pubsub.unsubscribe()
            self.pubsub_thread.stop(timeout=1)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        for job_id in recover(self.connection, self.queues, self.key_prefix, self.index):
            self.log.warning("recovered job %s abandoned by a dead worker", job_id)


class RecoveringWorker(Recovering, Worker):
    """RQ's forking worker (a process per job), recovering."""


class RecoveringSimpleWorker(Recovering, SimpleWorker):
    """Runs jobs in its own process (workers.flow.supervisor forks one per batch), recovering."""
