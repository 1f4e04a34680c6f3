"""`dedupcrawl worker`: RQ workers on the service's queues, forking a process per batch of jobs."""

from __future__ import annotations

import contextlib
import functools

import typer

from archive.keys import Keys
from crawler.queues import ALL, queue
from workers.commands.burst import watched
from workers.commands.loaded import settings_of
from workers.commands.verbosity import Verbosity, current
from workers.flow import jobs
from workers.flow.recovery import (
    MAINTENANCE_S,
    Recovering,
    RecoveringSimpleWorker,
    RecoveringWorker,
    work_reconnecting,
)
from workers.flow.supervisor import children_die_with_parents, supervise
from workers.redis.connection import redis_connections

# Measured (bench/ingest.py): forking per job costs more than the ingest itself; a batch of 100
# keeps the isolation of a process while making the fork's cost negligible.
JOBS_PER_PROCESS = 100


def worker(
    ctx: typer.Context,
    queues: list[str] = typer.Option(list(ALL), "--queues", "-q", help="Queues to work, in priority order."),
    burst: bool = typer.Option(False, "--burst", help="Exit once the queues are empty."),
    name: str | None = typer.Option(None, "--name", help="Worker name (default: host.pid)."),
    maintenance_s: int = typer.Option(
        MAINTENANCE_S, "--maintenance-s", min=1, help="Seconds between recoveries of jobs of dead workers."
    ),
    jobs_per_process: int = typer.Option(
        JOBS_PER_PROCESS,
        "--jobs-per-process",
        min=1,
        help="Jobs a forked process runs before the next one is forked (1: RQ's fork per job).",
    ),
) -> None:
    """Work ingest and crawl jobs until stopped (or until the queues drain, with --burst)."""
    settings = settings_of(ctx)
    children_die_with_parents()
    with redis_connections(settings) as connections:
        connection = connections.queues
        # Built once here so every forked job starts with warm configs and scripts.
        ingestor = jobs.build_ingestor(connections, settings)
        ingestor.warm_up()
        jobs.configure(ingestor, settings)

        worker_class = RecoveringWorker if jobs_per_process == 1 else RecoveringSimpleWorker

        def build(attempt: int, batch: int = 0) -> Recovering:
            suffix = "-".join(str(n) for n in (batch, attempt) if n)
            rq_worker = worker_class(
                [queue(q, connection) for q in queues],
                connection=connection,
                name=f"{name}-{suffix}" if name and suffix else name,
                maintenance_interval=maintenance_s,
                worker_ttl=maintenance_s + 15,  # an idle worker wakes for maintenance this often
            )
            rq_worker.key_prefix, rq_worker.index = settings.key_prefix, connections.index
            return rq_worker

        # A burst shows a progress bar and a summary instead of RQ's line per job (unless -v).
        shown = burst and current() != Verbosity.VERBOSE
        log_level = "WARNING" if shown else settings.log_level
        watch = watched(connections, Keys(settings.key_prefix), queues) if shown else contextlib.nullcontext()

        if jobs_per_process == 1:
            with watch:
                work_reconnecting(build, connection, burst, log_level)
            return

        def batch(number: int) -> None:
            build_batch = functools.partial(build, batch=number)
            work_reconnecting(build_batch, connection, burst, log_level, max_jobs=jobs_per_process)

        def more_work() -> bool:
            return not burst or any(queue(q, connection).count for q in queues)

        with watch:
            supervise(batch, more_work)
