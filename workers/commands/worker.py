"""`dedupcrawl worker`: forking RQ workers on the service's queues."""

from __future__ import annotations

import typer

from workers import jobs
from workers.connection import redis_connection
from workers.queues import ALL, queue
from workers.recovery import MAINTENANCE_S, RecoveringWorker, work_reconnecting
from workers.settings import load_settings


def worker(
    queues: list[str] = typer.Option(list(ALL), "--queues", "-q", help="Queues to work, in priority order."),
    burst: bool = typer.Option(False, "--burst", help="Exit once the queues are empty."),
    name: str | None = typer.Option(None, "--name", help="Worker name (default: host.pid)."),
    maintenance_s: int = typer.Option(
        MAINTENANCE_S, "--maintenance-s", min=1, help="Seconds between recoveries of jobs of dead workers."
    ),
) -> None:
    """Work ingest and crawl jobs until stopped (or until the queues drain, with --burst)."""
    settings = load_settings()
    with redis_connection(settings) as connection:
        # Built once here so every forked job starts with warm configs and scripts.
        ingestor = jobs.build_ingestor(connection)
        ingestor.warm_up()
        jobs.configure(ingestor)

        def build(attempt: int) -> RecoveringWorker:
            rq_worker = RecoveringWorker(
                [queue(q, connection) for q in queues],
                connection=connection,
                name=f"{name}-{attempt}" if name and attempt else name,
                maintenance_interval=maintenance_s,
                worker_ttl=maintenance_s + 15,  # an idle worker wakes for maintenance this often
            )
            rq_worker.key_prefix = settings.key_prefix
            return rq_worker

        work_reconnecting(build, connection, burst, settings.log_level)
