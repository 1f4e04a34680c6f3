"""`dedupcrawl ops`: workers, queues, failed jobs, crawl runs and their logs, schedule, rejections."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from workers.commands.loaded import settings_of
from workers.read.operations import Operations, ReasonRow, collect, delete_failed, requeue_failed
from workers.redis.connection import redis_connection
from workers.stores.store_set import stores_of

console = Console()


def ops(
    ctx: typer.Context,
    sites: Path | None = typer.Option(None, "--sites", help="The sites file (default: DEDUPCRAWL_SITES)."),
    requeue: list[str] = typer.Option([], "--requeue", metavar="JOB_ID", help="Put a failed job back."),
    delete: list[str] = typer.Option([], "--delete", metavar="JOB_ID", help="Delete a failed job."),
    tracebacks: bool = typer.Option(False, "--tracebacks", help="Print each failed job's traceback."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Workers (dead ones flagged), queues, failed jobs, recent crawls with their logs, the schedule,
    rejections and removals by reason with examples."""
    settings = settings_of(ctx)
    with redis_connection(settings) as connection:
        for job_id in requeue:
            typer.echo(f"requeued {job_id} on {requeue_failed(connection, job_id)}")
        for job_id in delete:
            typer.echo(f"deleted {job_id} from {delete_failed(connection, job_id)}")
        if requeue or delete:
            return
        store = stores_of(connection, settings).documents
        snapshot = collect(connection, store.keys, settings.home, sites or settings.sites_file, store)
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(snapshot), ensure_ascii=False))
    else:
        print_operations(snapshot, tracebacks)


def print_operations(snapshot: Operations, tracebacks: bool) -> None:
    _workers(snapshot)
    _queues(snapshot)
    _failed(snapshot, tracebacks)
    _runs(snapshot)
    _schedule(snapshot)
    _reasons("rejections by reason", snapshot.rejections)
    _reasons("removals by reason", snapshot.removals)


def _workers(snapshot: Operations) -> None:
    table = Table("worker", "host", "pid", "state", "queues", "current job", "last heartbeat",
                  title=f"{sum(w.alive for w in snapshot.workers)} live workers")  # fmt: skip
    for w in snapshot.workers:
        state = Text(w.state, style="bold red" if not w.alive else "")
        table.add_row(w.name, w.host, str(w.pid), state, ",".join(w.queues), w.current_job or "—",
                      w.last_heartbeat or "—")  # fmt: skip
    console.print(table)


def _queues(snapshot: Operations) -> None:
    table = Table("queue", "queued", "started", "failed", "scheduled", "workers", title="queues")
    for q in snapshot.queues:
        flag = Text(f"{q.workers}  NO WORKER", style="bold red") if q.unattended else Text(str(q.workers))
        table.add_row(q.name, str(q.queued), str(q.started), str(q.failed), str(q.scheduled), flag)
    console.print(table)


def _failed(snapshot: Operations, tracebacks: bool) -> None:
    table = Table("job", "queue", "function", "ended", "error", title=f"{len(snapshot.failed)} failed jobs")
    for job in snapshot.failed:
        last = job.traceback.strip().splitlines()[-1:] or ["?"]
        table.add_row(job.id, job.queue, job.function, job.ended_at or "—", Text(last[0]))
    console.print(table)
    for job in snapshot.failed if tracebacks else ():
        console.print(Text(f"--- {job.id}\n{job.traceback}"))


def _runs(snapshot: Operations) -> None:
    table = Table("run", "site", "result", "started", "pages", "handed off", "log", title="recent crawls")
    for r in snapshot.runs:
        table.add_row(r.run_id, r.site, f"{r.status}: {r.verdict}", r.started_at, str(r.pages),
                      str(r.handed_off), r.log_file or "—")  # fmt: skip
    console.print(table)


def _schedule(snapshot: Operations) -> None:
    table = Table("site", "cron", "next slot", "last slot", "outcome", title="schedule")
    for s in snapshot.schedule:
        table.add_row(s.site, s.cron, s.next_run, s.last_slot or "—", s.outcome)
    console.print(table)
    if snapshot.schedule_note:
        console.print(snapshot.schedule_note)


def _reasons(title: str, rows: tuple[ReasonRow, ...]) -> None:
    table = Table("reason", "count", "examples", title=title)
    for row in rows:
        table.add_row(row.reason, str(row.count), Text(" | ".join(row.examples) or "—"))
    console.print(table)
