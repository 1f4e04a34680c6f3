"""`dedupcrawl scheduler` (the loop that enqueues cron slots) and `dedupcrawl schedule` (the table)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from archive.keys import Keys
from crawler.runs import CrawlRun, RunStore
from workers.commands.loaded import settings_of
from workers.flow.crawls import load_sites_file
from workers.flow.scheduler import Scheduler, Slot
from workers.read.operations import slot_outcome
from workers.redis.connection import redis_connection

console = Console()


def scheduler(
    ctx: typer.Context,
    sites: Path | None = typer.Option(None, "--sites", help="The sites file (default: DEDUPCRAWL_SITES)."),
    interval: float = typer.Option(10.0, "--interval", help="Seconds between ticks."),
) -> None:
    """Enqueue each site's cron slots on the crawl queue; one leader among many schedulers."""
    settings = settings_of(ctx)
    path, config = load_sites_file(sites or settings.sites_file)
    with redis_connection(settings) as connection:
        console.print(f"scheduler: {len(config.sites)} sites from {path}, tick every {interval:g}s")
        leader = Scheduler(connection, Keys(settings.key_prefix), config, str(path))
        leader.run(interval, on_enqueued=_enqueued)


def _enqueued(slot: Slot) -> None:
    console.print(f"scheduler: enqueued {slot.site} slot {slot.at.isoformat()} as job {slot.job_id}")


def schedule(
    ctx: typer.Context,
    sites: Path | None = typer.Option(None, "--sites", help="The sites file (default: DEDUPCRAWL_SITES)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON list."),
) -> None:
    """List each scheduled site's next run, last enqueued slot and last crawl result."""
    settings = settings_of(ctx)
    path, config = load_sites_file(sites or settings.sites_file)
    with redis_connection(settings) as connection:
        rows = Scheduler(connection, Keys(settings.key_prefix), config, str(path)).table()
        runs = RunStore(connection, settings.key_prefix)
        last = {row.site: runs.load(row.last_job) if row.last_job else None for row in rows}
        keys = Keys(settings.key_prefix)
        outcomes = {row.site: slot_outcome(connection, keys, row.last_job) for row in rows}
    records = [
        {
            "site": row.site,
            "cron": row.cron,
            "next_run": row.next_run.isoformat(),
            "last_slot": row.last_slot,
            "last_job": row.last_job,
            "last_status": _status(last.get(row.site)),
            "outcome": outcomes[row.site],
        }
        for row in rows
    ]
    if as_json:
        typer.echo(json.dumps(records, ensure_ascii=False))
        return
    table = Table("site", "cron", "next run", "last slot", "outcome")
    for record in records:
        table.add_row(*(str(record[k] or "—") for k in ("site", "cron", "next_run", "last_slot", "outcome")))
    console.print(table)


def _status(run: CrawlRun | None) -> str | None:
    return run.status if run else None
