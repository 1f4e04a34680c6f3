"""`dedupcrawl status` and `dedupcrawl stop`."""

from __future__ import annotations

import dataclasses
import json

import typer
from rich.console import Console
from rich.table import Table

from workers.commands.loaded import settings_of
from workers.read.status import Status, collect
from workers.redis.connection import embedded_server, redis_connections

console = Console()


def status(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
) -> None:
    """Show where the data lives, the Redis in use, queue depths and counts."""
    settings = settings_of(ctx)
    with redis_connections(settings) as connections:
        report = collect(settings, connections.queues, connections.index)
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(report), ensure_ascii=False))
    else:
        _print_status(report)


def stop(ctx: typer.Context, ) -> None:
    """Stop the embedded redis-server now, whatever processes still use it."""
    settings = settings_of(ctx)
    if settings.redis_url:
        typer.echo("REDIS_URL is set: nothing embedded to stop.")
        return
    stopped = embedded_server(settings).stop()
    typer.echo(f"stopped redis-server pid {stopped.pid}" if stopped else "no embedded redis-server running")


def _print_status(report: Status) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("data", report.home)
    server = f"{report.redis_mode} {report.redis_url} (v{report.redis_version}, pid {report.redis_pid})"
    table.add_row("redis", server)
    if report.index_url:
        table.add_row("index", report.index_url)
    table.add_row("persistence", ", ".join(f"{k}={v}" for k, v in report.persistence.items()))
    if report.redis_mode == "embedded":
        table.add_row("used by pids", ", ".join(map(str, report.lease_holders)))
    for name, counts in report.queues.items():
        table.add_row(f"queue {name}", ", ".join(f"{k} {v}" for k, v in counts.items()))
    table.add_row("counts", ", ".join(f"{k} {v}" for k, v in report.counts.items()))
    console.print(table)
