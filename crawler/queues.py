"""The RQ queues of the service."""

from __future__ import annotations

import redis
from rq import Queue

INGEST = "ingest"
CRAWL = "crawl"
TRACE = "trace"  # deferred alignment and provenance: last, so workers drain it when idle
ALL = (CRAWL, INGEST, TRACE)  # a worker's default priority order


def queue(name: str, connection: redis.Redis) -> Queue:
    return Queue(name, connection=connection)


def taken(q: Queue) -> int:
    """Jobs a worker has taken off the queue and not started yet: RQ moves a job to an
    intermediate list when it dequeues it, and into the started registry only afterwards."""
    return int(q.connection.llen(q.intermediate_queue.key))


def in_hand(q: Queue) -> int:
    """Jobs queued, taken or started: a drain is over when none is left (retries may follow)."""
    return q.count + taken(q) + q.started_job_registry.get_job_count(cleanup=False)


def unfinished(q: Queue) -> int:
    """Jobs not done: in hand, or waiting for a retry."""
    return in_hand(q) + q.scheduled_job_registry.get_job_count(cleanup=False)


def depths(connection: redis.Redis) -> dict[str, dict[str, int]]:
    """Queued, taken, started, failed and deferred job counts per queue."""
    result = {}
    for name in ALL:
        q = queue(name, connection)
        result[name] = {
            "queued": q.count,
            "taken": taken(q),
            "started": q.started_job_registry.count,
            "failed": q.failed_job_registry.count,
            "scheduled": q.scheduled_job_registry.count,
        }
    return result
