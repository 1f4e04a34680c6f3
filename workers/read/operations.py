"""The operations read model: workers, queues, failed jobs, crawl runs, schedule, rejections.

One snapshot serves `dedupcrawl ops`, the /ops page and its /api/ops twin. A worker is `dead`
when its registration says it died, its heartbeat is older than its TTL, or it was registered
on this host under a pid that no longer runs; a queue with jobs and no live worker is flagged.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import redis
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.worker.base import BaseWorker

from archive.keys import Keys
from crawler.config import load_sites
from crawler.errors import CrawlerError
from crawler.queues import ALL, queue
from crawler.runs import RunStore
from dedup.reasons import RunStatus
from workers.errors import NotFound
from workers.flow import crawl_logs
from workers.flow.recovery import worker_gone
from workers.flow.scheduler import Scheduler, slot_history
from workers.stores.replies import text_of
from workers.stores.store import Store

FAILED_SHOWN = 50
RUNS_SHOWN = 20
EXAMPLES = 3
REJECTIONS_SCANNED = 500
DOCUMENTS_SCANNED = 50
SLOTS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class WorkerRow:
    name: str
    host: str
    pid: int
    state: str  # RQ's state (idle, busy, ...) or "dead"
    queues: tuple[str, ...]
    current_job: str | None
    last_heartbeat: str | None

    @property
    def alive(self) -> bool:
        return self.state != "dead"


@dataclass(frozen=True, slots=True)
class QueueRow:
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int
    workers: int  # live workers listening to it
    unattended: bool  # jobs waiting and no live worker to take them


@dataclass(frozen=True, slots=True)
class FailedJob:
    id: str
    queue: str
    function: str
    arguments: str
    ended_at: str | None
    traceback: str


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    site: str
    status: str
    verdict: str
    started_at: str
    finished_at: str | None
    pages: int
    handed_off: int
    log_file: str | None


@dataclass(frozen=True, slots=True)
class SlotRow:
    site: str
    cron: str
    next_run: str
    last_slot: str | None
    last_job: str | None
    outcome: str  # the job's state, then the run's verdict once it ran; "none" before any slot
    recent: tuple[tuple[str, str], ...]  # earlier slots' job ids and outcomes, newest first


@dataclass(frozen=True, slots=True)
class ReasonRow:
    reason: str
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Operations:
    workers: tuple[WorkerRow, ...]
    queues: tuple[QueueRow, ...]
    failed: tuple[FailedJob, ...]
    runs: tuple[RunRow, ...]
    schedule: tuple[SlotRow, ...]
    schedule_note: str
    rejections: tuple[ReasonRow, ...]
    removals: tuple[ReasonRow, ...]


def collect(
    connection: redis.Redis, keys: Keys, home: Path, sites_file: Path | None, store: Store
) -> Operations:
    """The whole operations snapshot, read from Redis, the data directory and (removals'
    examples) the archive, through `store`."""
    workers = tuple(worker_rows(connection))
    schedule, note = schedule_rows(connection, keys, sites_file)
    return Operations(
        workers=workers,
        queues=tuple(queue_rows(connection, workers)),
        failed=tuple(failed_jobs(connection)),
        runs=tuple(run_rows(connection, keys, home)),
        schedule=tuple(schedule),
        schedule_note=note,
        rejections=tuple(rejection_rows(store)),
        removals=tuple(removal_rows(store)),
    )


def worker_rows(connection: redis.Redis) -> list[WorkerRow]:
    host = socket.gethostname()
    return sorted((_worker_row(connection, w, host) for w in Worker.all(connection=connection)),
                  key=lambda row: (row.alive, row.name))  # fmt: skip


def _worker_row(connection: redis.Redis, worker: BaseWorker, host: str) -> WorkerRow:
    heartbeat = worker.last_heartbeat
    silent_s = (datetime.now(UTC) - _utc(heartbeat)).total_seconds() if heartbeat else 0.0
    dead = silent_s > worker.worker_ttl or worker_gone(connection, worker.name, host)
    return WorkerRow(
        name=worker.name,
        host=worker.hostname or "?",
        pid=int(worker.pid or 0),
        state="dead" if dead else _name(worker.get_state()),
        queues=tuple(worker.queue_names()),
        current_job=worker.get_current_job_id(),
        last_heartbeat=_utc(heartbeat).isoformat() if heartbeat else None,
    )


def queue_rows(connection: redis.Redis, workers: tuple[WorkerRow, ...]) -> list[QueueRow]:
    rows = []
    for name in ALL:
        q = queue(name, connection)
        listening = sum(1 for w in workers if w.alive and name in w.queues)
        queued = q.count
        rows.append(QueueRow(name, queued, q.started_job_registry.count, q.failed_job_registry.count,
                             q.scheduled_job_registry.count, listening, queued > 0 and listening == 0))
    return rows


def failed_jobs(connection: redis.Redis, limit: int = FAILED_SHOWN) -> list[FailedJob]:
    found = []
    for name in ALL:
        registry = queue(name, connection).failed_job_registry
        for job_id in registry.get_job_ids(0, limit - 1):
            job = _job(connection, job_id)
            if job is not None:
                found.append(_failed(job, name))
    return found


def _failed(job: Job, queue_name: str) -> FailedJob:
    result = job.latest_result()
    trace = (result.exc_string if result else None) or job.exc_info or ""
    arguments = ", ".join(repr(a)[:80] for a in job.args)
    ended = job.ended_at.isoformat() if job.ended_at else None
    return FailedJob(job.id, queue_name, job.func_name or "?", arguments, ended, trace)


def requeue_failed(connection: redis.Redis, job_id: str) -> str:
    """Put a failed job back on its queue; returns the queue's name."""
    for name in ALL:
        registry = queue(name, connection).failed_job_registry
        if job_id in registry:
            registry.requeue(job_id)
            return name
    raise NotFound(f"no failed job {job_id!r}")


def delete_failed(connection: redis.Redis, job_id: str) -> str:
    """Delete a failed job and its registry entry; returns the queue's name."""
    for name in ALL:
        registry = queue(name, connection).failed_job_registry
        if job_id in registry:
            job = _job(connection, job_id)
            registry.remove(job or job_id, delete_job=job is not None)
            return name
    raise NotFound(f"no failed job {job_id!r}")


def run_rows(connection: redis.Redis, keys: Keys, home: Path, limit: int = RUNS_SHOWN) -> list[RunRow]:
    store = RunStore(connection, keys.prefix)
    rows = []
    for raw in connection.zrevrange(keys.crawls, 0, limit - 1):
        run = store.load(text_of(raw))  # members only, no scores
        if run is None:
            continue
        log = crawl_logs.existing_log(home, run.run_id)
        rows.append(RunRow(run.run_id, run.site, run.status, run.verdict, run.started_at.isoformat(),
                           run.finished_at.isoformat() if run.finished_at else None, run.stats.pages,
                           run.stats.handed_off, str(log) if log else None))  # fmt: skip
    return rows


def schedule_rows(connection: redis.Redis, keys: Keys, sites_file: Path | None) -> tuple[list[SlotRow], str]:
    """Each scheduled site's next slot and last slot with its outcome, or why there are none."""
    if sites_file is None:
        return [], "no sites file (DEDUPCRAWL_SITES): no schedule to show"
    try:
        sites = load_sites(sites_file)
    except CrawlerError as exc:
        return [], f"the sites file cannot be read: {exc}"
    table = Scheduler(connection, keys, sites, str(sites_file)).table()
    rows = [SlotRow(r.site, r.cron, r.next_run.isoformat(), r.last_slot, r.last_job,
                    slot_outcome(connection, keys, r.last_job), _recent(connection, keys, r.site))
            for r in table]  # fmt: skip
    return rows, "" if rows else "no site in the sites file has a schedule"


def slot_outcome(connection: redis.Redis, keys: Keys, job_id: str | None) -> str:
    """`none`, the job's state while it waits or runs, then the crawl run's status and verdict."""
    if job_id is None:
        return "none"
    run = RunStore(connection, keys.prefix).load(job_id)
    if run is not None and run.status != RunStatus.RUNNING:
        return f"{run.status}: {run.verdict}"
    job = _job(connection, job_id)
    return _name(job.get_status()) if job is not None else "expired"


def _recent(connection: redis.Redis, keys: Keys, site: str) -> tuple[tuple[str, str], ...]:
    job_ids = [text_of(v) for v in connection.lrange(slot_history(keys, site), 1, SLOTS_SHOWN)]
    return tuple((job_id, slot_outcome(connection, keys, job_id)) for job_id in job_ids)


def rejection_rows(store: Store) -> list[ReasonRow]:
    examples: dict[str, list[str]] = {}
    for rejection in store.rejections(0, REJECTIONS_SCANNED - 1):
        shown = examples.setdefault(f"{rejection.stage}:{rejection.reason}", [])
        if len(shown) < EXAMPLES:
            shown.append(rejection.url or rejection.input_id)
    return _reasons(store.stats("rejected"), examples)


def removal_rows(store: Store) -> list[ReasonRow]:
    """Removals by reason (all documents) with examples from the latest documents."""
    examples: dict[str, list[str]] = {}
    for doc in store.get_many(store.document_ids(0, DOCUMENTS_SCANNED - 1)):
        for removal in doc.removed if doc else ():
            shown = examples.setdefault(removal.reason, [])
            if len(shown) < EXAMPLES and removal.text.strip():
                shown.append(removal.text.strip()[:80])
    return _reasons(store.stats("removed"), examples)


def _reasons(counts: dict[str, float], examples: dict[str, list[str]]) -> list[ReasonRow]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [ReasonRow(reason, int(count), tuple(examples.get(reason, ()))) for reason, count in ordered]


def _job(connection: redis.Redis, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None


def _name(state: object) -> str:
    """RQ's states are str enums: their value (`queued`), not their repr (`JobStatus.QUEUED`)."""
    return str(state.value) if isinstance(state, Enum) else str(state)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
