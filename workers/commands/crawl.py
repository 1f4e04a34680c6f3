"""`dedupcrawl crawl SITE`: one crawl in its own process (`crawler.run`), then its run record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from dedup.reasons import RunStatus
from workers.commands.loaded import settings_of
from workers.commands.progress import progress_bar
from workers.commands.verbosity import Verbosity, current
from workers.exit_codes import ExitCode
from workers.flow import crawl_logs
from workers.flow.crawls import run_crawl, site_sites_file
from workers.redis.connection import connection_url, redis_connection

console = Console()


def crawl(
    ctx: typer.Context,
    site: str = typer.Argument(..., help="A site name from the sites file."),
    sites: Path | None = typer.Option(None, "--sites", help="The sites file (default: DEDUPCRAWL_SITES)."),
    as_json: bool = typer.Option(False, "--json", help="Print the run record as one JSON object."),
) -> None:
    """Crawl one site now; success is judged from the crawl's stats, not its exit code.

    Scrapy's log goes to the run's log file under the data directory (to stderr with -v)."""
    settings = settings_of(ctx)
    sites_file = site_sites_file(sites or settings.sites_file, site)
    verbose = current() == Verbosity.VERBOSE
    bar = progress_bar()  # drawn from the first progress report: a refusal prints only itself
    task = bar.add_task(f"crawl {site}", total=None, detail="")

    def show(counts: dict[str, int]) -> None:
        if not bar.live.is_started:
            bar.start()
        fetched, queued = counts.get("fetched", 0), counts.get("queued", 0)
        bar.update(task, completed=fetched, total=fetched + queued,
                   detail=f"pages fetched, {queued} queued, {counts.get('items', 0)} items")

    with redis_connection(settings) as connection:
        url = connection_url(connection, settings)
        try:
            run = run_crawl(
                site, sites_file, url, settings, log_to_stderr=verbose, progress=None if verbose else show
            )
        finally:
            bar.stop()
    log = crawl_logs.existing_log(settings.home, run["run_id"])
    run = {**run, "log_file": str(log) if log else None}
    if as_json:
        typer.echo(json.dumps(run, ensure_ascii=False))
    else:
        show_run(run)
    raise typer.Exit(ExitCode.OK if run["status"] == RunStatus.SUCCEEDED else ExitCode.FAILED)


def show_run(run: dict[str, Any]) -> None:
    stats = run["stats"]
    table = Table(show_header=False, box=None)
    table.add_row("run", f"{run['run_id']} ({run['site']})")
    table.add_row("result", f"{run['status']}: {run['verdict']}")
    table.add_row("time", f"{run['started_at']} → {run['finished_at']}")
    for name in ("pages", "captures", "documents", "handed_off", "skipped_unchanged", "skipped_recent"):
        table.add_row(name.replace("_", " "), str(stats.get(name, 0)))
    table.add_row("not modified (304)", str(stats.get("not_modified", 0)))
    table.add_row("robots.txt denied", str(stats.get("robots_forbidden", 0)))
    errors = stats.get("errors") or {}
    table.add_row("errors", ", ".join(f"{k} {v}" for k, v in errors.items()) or "none")
    if run.get("log_file"):
        table.add_row("log", run["log_file"])
    console.print(table)
