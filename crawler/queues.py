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


def depths(connection: redis.Redis) -> dict[str, dict[str, int]]:
    """Queued, started, failed and deferred job counts per queue."""
    result = {}
    for name in ALL:
        q = queue(name, connection)
        result[name] = {
            "queued": q.count,
            "started": q.started_job_registry.count,
            "failed": q.failed_job_registry.count,
            "scheduled": q.scheduled_job_registry.count,
        }
    return result
